import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { fieldErrors } from '../shared/field-error.js';
import { RunConfig } from '../shared/run-config.js';
import {
  ArchiveManifest,
  MAX_MANIFEST_BYTES,
  RUN_ARCHIVE_FORMAT,
  RUN_ARCHIVE_MAGIC,
  RUN_ARCHIVE_VERSION,
  RUN_FILES,
  type ArchiveEntry,
} from '../shared/run-archive.js';
import { RunMeta } from '../shared/run-record.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { readRunLog } from './run-log.js';
import type { RunPaths } from './run-store.js';

export type ArchiveProgress = (doneBytes: number, totalBytes: number) => void;

const MAGIC = Buffer.from(RUN_ARCHIVE_MAGIC, 'latin1');

/** The files of a run folder an archive carries; leftover temp files (dot-names) stay behind. */
function runFiles(paths: RunPaths): { path: string; file: string }[] {
  const files = RUN_FILES.map((name) => ({ path: name, file: join(paths.dir, name) })).filter((f) => existsSync(f.file));
  const checkpoints = existsSync(paths.checkpoints) ? readdirSync(paths.checkpoints).filter((n) => !n.startsWith('.')).sort() : [];
  return [...files, ...checkpoints.map((n) => ({ path: `checkpoints/${n}`, file: join(paths.checkpoints, n) }))];
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes a run (which must not be training) as one gzip'd archive to `sink`. */
export async function writeRunArchive(
  paths: RunPaths,
  info: { runId: string; writer: string; exportedAt: number },
  sink: Writable,
  onProgress: ArchiveProgress = () => {},
): Promise<void> {
  const files = runFiles(paths);
  const entries: ArchiveEntry[] = [];
  for (const f of files) entries.push({ path: f.path, size: statSync(f.file).size, sha256: await sha256(f.file) });
  const manifest: ArchiveManifest = { format: RUN_ARCHIVE_FORMAT, version: RUN_ARCHIVE_VERSION, ...info, files: entries };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const total = entries.reduce((n, e) => n + e.size, 0);

  async function* body(): AsyncGenerator<Buffer> {
    const fixed = Buffer.alloc(16);
    MAGIC.copy(fixed, 0);
    fixed.writeUInt32LE(RUN_ARCHIVE_VERSION, 8);
    fixed.writeUInt32LE(manifestBytes.length, 12);
    yield fixed;
    yield manifestBytes;
    let done = 0;
    onProgress(0, total);
    for (const [i, f] of files.entries()) {
      const size = entries[i]!.size;
      let written = 0;
      if (size > 0) for await (const chunk of createReadStream(f.file, { end: size - 1 })) {
        written += (chunk as Buffer).length;
        done += (chunk as Buffer).length;
        onProgress(done, total);
        yield chunk as Buffer;
      }
      if (written !== size) throw new Error(`${f.file} changed size while it was being archived`);
    }
  }
  await pipeline(Readable.from(body()), createGzip(), sink);
}

function bad(message: string): ApiError {
  return ApiError.forField('archive', `archive: ${message}`);
}

/** Pulls exact byte counts out of a stream of chunks. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  async exactly(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) throw bad(`it ends early, inside ${what}: the file is truncated`);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(n)];
    this.length -= n;
    return all.subarray(0, n);
  }

  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.length === 0 && !(await this.fill(1))) throw bad(`it ends early, inside ${what}: the file is truncated`);
      const head = this.chunks.shift()!;
      this.length -= head.length;
      if (head.length > left) {
        this.chunks.unshift(head.subarray(left));
        this.length += head.length - left;
      }
      const piece = head.subarray(0, left);
      left -= piece.length;
      yield piece;
    }
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  private async fill(n: number): Promise<boolean> {
    while (this.length < n) {
      const next = await this.source.next();
      if (next.done) return false;
      if (next.value.length === 0) continue;
      this.chunks.push(next.value);
      this.length += next.value.length;
    }
    return true;
  }
}

/**
 * Brings an archived run into `runsDir` under its own id. Everything is checked (manifest schema,
 * paths, sizes, sha256, the log's header) in a temp folder beside the runs, which is renamed into
 * place only when whole, so a failed or torn import leaves no half run behind.
 */
export async function importRunArchive(source: Readable, runsDir: string, onProgress: ArchiveProgress = () => {}): Promise<string> {
  removeAbandonedImports(runsDir);
  const temp = await mkdtemp(join(runsDir, IMPORT_PREFIX));
  try {
    let runId = '';
    await pipeline(source, createGunzip(), async (unzipped: AsyncIterable<Buffer>) => {
      runId = await unpack(new ChunkReader(unzipped[Symbol.asyncIterator]()), temp, runsDir, onProgress);
    }).catch((error: unknown) => {
      if (error instanceof ApiError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR') throw bad('it ends early: the file is truncated');
      if (typeof code === 'string' && code.startsWith('Z_')) throw bad(`not a gzip'd HPC Studio run archive (${(error as Error).message})`);
      throw error;
    });
    checkRunFolder(temp, runId);
    await mkdir(join(temp, 'checkpoints'), { recursive: true });
    const target = join(runsDir, runId);
    if (existsSync(target)) throw exists(runId);
    renameSync(temp, target);
    const dir = openSync(runsDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return runId;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const IMPORT_PREFIX = '.import-';
/** An import's temp folder older than this was left by a process that died mid-import. */
const ABANDONED_IMPORT_MS = 60 * 60 * 1000;

function removeAbandonedImports(runsDir: string): void {
  for (const name of readdirSync(runsDir)) {
    if (!name.startsWith(IMPORT_PREFIX)) continue;
    const path = join(runsDir, name);
    if (Date.now() - statSync(path).mtimeMs > ABANDONED_IMPORT_MS) rmSync(path, { recursive: true, force: true });
  }
}

function exists(runId: string): ApiError {
  return new ApiError({ code: 'conflict', message: `archive: run ${runId} already exists here; delete it first to import this copy` });
}

async function unpack(reader: ChunkReader, temp: string, runsDir: string, onProgress: ArchiveProgress): Promise<string> {
  const fixed = await reader.exactly(16, 'the header');
  if (!fixed.subarray(0, 8).equals(MAGIC)) throw bad('not an HPC Studio run archive (no HPCSRUN header)');
  const version = fixed.readUInt32LE(8);
  if (version > RUN_ARCHIVE_VERSION) {
    throw bad(`format version ${version} was written by a newer HPC Studio; this one reads up to version ${RUN_ARCHIVE_VERSION}. Update HPC Studio to import it`);
  }
  if (version < 1) throw bad(`format version ${version} is not a valid version`);
  const manifestLength = fixed.readUInt32LE(12);
  if (manifestLength > MAX_MANIFEST_BYTES) throw bad(`manifest of ${manifestLength} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse((await reader.exactly(manifestLength, 'the manifest')).toString('utf8'));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw bad('the manifest is not JSON');
  }
  const parsed = ArchiveManifest.safeParse(json);
  if (!parsed.success) throw bad(`manifest.${fieldErrors(parsed.error).map((f) => f.message).join('; manifest.')}`);
  const manifest = parsed.data;
  if (manifest.version !== version) throw bad(`manifest.version ${manifest.version} differs from the header's ${version}`);
  if (existsSync(join(runsDir, manifest.runId))) throw exists(manifest.runId);

  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  onProgress(0, total);
  for (const [i, entry] of manifest.files.entries()) {
    const file = join(temp, entry.path);
    await mkdir(dirname(file), { recursive: true });
    const hash = createHash('sha256');
    const handle = await open(file, 'wx');
    try {
      for await (const piece of reader.take(entry.size, entry.path)) {
        hash.update(piece);
        await handle.write(piece);
        done += piece.length;
        onProgress(done, total);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (hash.digest('hex') !== entry.sha256) {
      throw bad(`manifest.files.${i} (${entry.path}): sha256 does not match its bytes; the archive is damaged or was changed`);
    }
  }
  if (!(await reader.atEnd())) throw bad('there are bytes after the last file the manifest lists');
  return manifest.runId;
}

/** The unpacked files must make a run this release can read, under the id the manifest gave. */
function checkRunFolder(dir: string, runId: string): void {
  let header;
  try {
    header = readRunLog(join(dir, 'run.log.jsonl')).header;
  } catch (error) {
    throw bad(`run.log.jsonl: ${(error as Error).message.replace(/^.*run\.log\.jsonl: /, '')}`);
  }
  if (header.runId !== runId) throw bad(`run.log.jsonl belongs to run ${header.runId}, but the manifest says ${runId}`);
  const json = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
    } catch {
      throw bad(`${name} is not JSON`);
    }
  };
  const config = RunConfig.safeParse(json('config.json'));
  if (!config.success) throw bad(`config.json: ${fieldErrors(config.error).map((f) => f.message).join('; ')}`);
  if (existsSync(join(dir, 'meta.json'))) {
    const meta = RunMeta.safeParse(json('meta.json'));
    if (!meta.success) throw bad(`meta.json: ${fieldErrors(meta.error).map((f) => f.message).join('; ')}`);
  }
}
