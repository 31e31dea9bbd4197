import { Writable } from 'node:stream';
import type { ExportFormat, SeriesKind } from '../shared/run-export.js';
import { RUN_ARCHIVE_EXTENSION } from '../shared/run-archive.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { writeRunArchive, type ArchiveProgress } from './run-archive.js';
import type { RunStore } from './run-store.js';
import { seriesCsv } from './series/series-csv.js';
import { foldRunSeries } from './series/series-rows.js';
import { runTfevents, tfeventsFileName } from './tfevents/run-tfevents.js';

export interface ExportedFile {
  fileName: string;
  mimeType: string;
  bytes: Buffer;
}

export interface ExportOptions {
  /** A run that is training can be exported as series, not as an archive (its files are still changing). */
  active: boolean;
  /** For CSV: which table. */
  series?: SeriesKind;
  /** Written into archives: the HPC Studio version. */
  writer: string;
  now: () => number;
  hostName: string;
  onProgress?: ArchiveProgress;
}

/** One run as a file in the format asked for: the CLI writes it to disk, the API sends it to the UI. */
export async function exportRun(store: RunStore, runId: string, format: ExportFormat, o: ExportOptions): Promise<ExportedFile> {
  if (format === 'archive') {
    const paths = store.existing(runId);
    if (o.active) throw new ApiError({ code: 'conflict', message: `runId: run ${runId} is training; stop it or let it finish before archiving it` });
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    await writeRunArchive(paths, { runId, writer: o.writer, exportedAt: o.now() }, sink, o.onProgress);
    return { fileName: `${runId}${RUN_ARCHIVE_EXTENSION}`, mimeType: 'application/gzip', bytes: Buffer.concat(chunks) };
  }
  const log = store.readLog(runId);
  const series = foldRunSeries(log.header, log.records);
  switch (format) {
    case 'csv': {
      const kind = o.series ?? 'step';
      return { fileName: `${runId}-${kind}.csv`, mimeType: 'text/csv', bytes: Buffer.from(seriesCsv(series, kind), 'utf8') };
    }
    case 'json':
      return { fileName: `${runId}-series.json`, mimeType: 'application/json', bytes: Buffer.from(JSON.stringify(series, null, 2) + '\n', 'utf8') };
    case 'tfevents':
      return { fileName: tfeventsFileName(o.now(), o.hostName), mimeType: 'application/octet-stream', bytes: runTfevents(series) };
  }
}
