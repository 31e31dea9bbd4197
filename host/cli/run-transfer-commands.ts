import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ExportFormat, SeriesKind, EXPORT_FORMATS, SERIES_KINDS } from '../../shared/run-export.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { writeFileAtomic } from '../atomic-file.js';
import { importRunArchive } from '../run-archive.js';
import { exportRun } from '../run-export.js';
import { DataDirLock } from '../run-lock.js';
import { RunStore } from '../run-store.js';
import { ByteProgress } from './byte-progress.js';
import { EXIT } from './exit-codes.js';
import { BadInput } from './bad-input.js';

interface Common {
  dataDir: string;
  json: boolean;
  version: string;
}

export interface ExportCommandOptions extends Common {
  format: string;
  out?: string;
  series?: string;
}

function report(error: unknown, json: boolean): number {
  const bad =
    error instanceof BadInput ? error
    : error instanceof ApiError ? new BadInput(error.error.fields?.[0]?.field ?? /^([\w.-]+):/.exec(error.message)?.[1] ?? 'input', error.message)
    : null;
  if (!bad) throw error;
  if (json) process.stdout.write(JSON.stringify({ type: 'error', field: bad.field, message: bad.message }) + '\n');
  else process.stderr.write(`error: ${bad.message}\n`);
  return EXIT.badInput;
}

/** `runs export ID --format F [--out PATH]`: the run as an archive, CSV, JSON or a TensorBoard event file. */
export async function runsExportCommand(runId: string, o: ExportCommandOptions): Promise<number> {
  const progress = new ByteProgress('archiving');
  try {
    const format = ExportFormat.safeParse(o.format);
    if (!format.success) throw new BadInput('format', `--format: must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(o.format)})`);
    const series = SeriesKind.optional().safeParse(o.series);
    if (!series.success) throw new BadInput('series', `--series: must be one of ${SERIES_KINDS.join(', ')} (got ${JSON.stringify(o.series)})`);
    const store = new RunStore(o.dataDir);
    const active = new DataDirLock(o.dataDir).holder()?.runId === runId;
    const file = await exportRun(store, runId, format.data, {
      active,
      series: series.data,
      writer: o.version,
      now: Date.now,
      hostName: hostname(),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.stop();
    const target = outputPath(o.out ?? '.', file.fileName, format.data === 'tfevents');
    try {
      writeFileAtomic(target, file.bytes);
    } catch (error) {
      throw new BadInput('out', `--out: cannot write ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (o.json) process.stdout.write(JSON.stringify({ runId, format: format.data, file: target, bytes: file.bytes.length }) + '\n');
    else process.stdout.write(`wrote ${target} (${file.bytes.length.toLocaleString('en')} bytes)\n`);
    return EXIT.done;
  } catch (error) {
    progress.stop();
    return report(error, o.json);
  }
}

/** A folder (existing, or always for TensorBoard, which reads folders) gets the file under its own name. */
function outputPath(out: string, fileName: string, folder: boolean): string {
  const path = resolve(out);
  if (folder) {
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw new BadInput('out', `--out: cannot create the folder ${path} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return folder || (existsSync(path) && statSync(path).isDirectory()) ? join(path, fileName) : path;
}

/** `runs import FILE`: brings an archived run into this data directory and prints its id. */
export async function runsImportCommand(file: string, o: Common): Promise<number> {
  const progress = new ByteProgress('importing');
  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new BadInput('file', `FILE: ${file} is not a file`);
    const runId = await importRunArchive(createReadStream(file), new RunStore(o.dataDir).runsDir, (done, total) => progress.update(done, total));
    progress.stop();
    process.stdout.write(o.json ? JSON.stringify({ runId }) + '\n' : `${runId}\n`);
    return EXIT.done;
  } catch (error) {
    progress.stop();
    return report(error instanceof ApiError ? new BadInput(error.error.fields?.[0]?.field ?? 'archive', `${file}: ${error.message}`) : error, o.json);
  }
}
