import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatasetManifest } from '../../shared/dataset-upload.js';
import { formatBytes } from '../../shared/run-labels.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { hashDataset } from './dataset-hash.js';

/** Uploads open at once; more is a client gone wrong. */
const MAX_OPEN_UPLOADS = 4;

/** An upload no chunk has reached for this long is abandoned (its sender crashed or went away). */
const IDLE_UPLOAD_MS = 10 * 60_000;

interface Upload {
  manifest: DatasetManifest;
  folder: string;
  /** Bytes received so far, by file. */
  received: Map<string, number>;
  touchedAt: number;
}

export interface DatasetStoreDeps {
  /** `<data dir>/datasets`: one folder per dataset, named by its hash. */
  dir: string;
  /** The most bytes one upload may bring (the agent's --dataset-upload-limit). */
  limitBytes: number;
  now?: () => number;
}

/**
 * A node's datasets sent by apps: each upload is written into `<sha256>.partial-<id>`, hashed here
 * once complete, and renamed to `<sha256>/` only if the hash is the one announced, so a folder
 * named by a hash always holds exactly those files.
 */
export class DatasetStore {
  private readonly uploads = new Map<string, Upload>();
  private readonly now: () => number;

  constructor(private readonly deps: DatasetStoreDeps) {
    this.now = deps.now ?? Date.now;
    // Uploads cut off when this node's agent last stopped: never to be finished.
    if (existsSync(deps.dir)) {
      for (const name of readdirSync(deps.dir)) if (/\.partial-/.test(name)) rmSync(join(deps.dir, name), { recursive: true, force: true });
    }
  }

  /** The folder of a dataset received (and verified) under `sha256`, or null. */
  folder(sha256: string): string | null {
    const folder = join(this.deps.dir, sha256);
    return existsSync(folder) ? folder : null;
  }

  begin(manifest: DatasetManifest): string {
    this.dropIdle();
    const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
    if (bytes > this.deps.limitBytes) {
      throw new ApiError({
        code: 'invalid',
        message: `files: the dataset ${manifest.sha256} is ${formatBytes(bytes)}, more than this node accepts (${formatBytes(this.deps.limitBytes)}: the agent's --dataset-upload-limit)`,
        fields: [{ field: 'files', message: `files: at most ${this.deps.limitBytes} bytes in all` }],
      });
    }
    if (this.uploads.size >= MAX_OPEN_UPLOADS) {
      throw new ApiError({ code: 'conflict', message: `this node is receiving ${this.uploads.size} datasets already; try again when they are done` });
    }
    mkdirSync(this.deps.dir, { recursive: true });
    const free = statfsSync(this.deps.dir);
    if (free.bavail * free.bsize < bytes) {
      throw new ApiError({ code: 'conflict', message: `the dataset ${manifest.sha256} is ${formatBytes(bytes)}, but ${this.deps.dir} has only ${formatBytes(free.bavail * free.bsize)} free` });
    }
    const uploadId = `upload-${randomBytes(8).toString('hex')}`;
    const folder = join(this.deps.dir, `${manifest.sha256}.partial-${uploadId.slice('upload-'.length)}`);
    for (const file of manifest.files) {
      mkdirSync(dirname(join(folder, file.path)), { recursive: true });
      appendFileSync(join(folder, file.path), new Uint8Array(0));
    }
    this.uploads.set(uploadId, { manifest, folder, received: new Map(), touchedAt: this.now() });
    return uploadId;
  }

  /** Appends a file's next bytes; they must start where the last chunk ended and stay within the file's announced size. */
  chunk(params: { uploadId: string; path: string; offset: number; data: string }): void {
    const upload = this.upload(params.uploadId);
    const file = upload.manifest.files.find((f) => f.path === params.path);
    if (!file) throw new ApiError({ code: 'invalid', message: `path: ${params.path} is not a file of upload ${params.uploadId}`, fields: [{ field: 'path', message: 'path: not a file of this upload' }] });
    const bytes = Buffer.from(params.data, 'base64');
    const received = upload.received.get(file.path) ?? 0;
    if (params.offset !== received) {
      throw new ApiError({ code: 'invalid', message: `offset: ${file.path} has ${received} bytes so far; the next chunk starts there, not at ${params.offset}`, fields: [{ field: 'offset', message: `offset: must be ${received}` }] });
    }
    if (received + bytes.length > file.size) {
      throw new ApiError({ code: 'invalid', message: `data: ${file.path} was announced as ${file.size} bytes; this chunk would make it ${received + bytes.length}`, fields: [{ field: 'data', message: 'data: more bytes than the file was announced with' }] });
    }
    appendFileSync(join(upload.folder, file.path), bytes);
    upload.received.set(file.path, received + bytes.length);
    upload.touchedAt = this.now();
  }

  /** Hashes what arrived; keeps it under the announced hash if it matches, and drops it (refusing) if not. */
  async finish(uploadId: string): Promise<{ sha256: string; files: number; bytes: number }> {
    const upload = this.upload(uploadId);
    // No chunk may land while the files are hashed.
    this.uploads.delete(uploadId);
    const { manifest, folder } = upload;
    try {
      const short = manifest.files.find((f) => (upload.received.get(f.path) ?? 0) !== f.size);
      if (short) throw new ApiError({ code: 'invalid', message: `upload ${uploadId}: ${short.path} has ${upload.received.get(short.path) ?? 0} of its ${short.size} bytes; nothing was kept` });
      const sha256 = await hashDataset(manifest.files.map((f) => ({ ...f, source: join(folder, f.path) })));
      if (sha256 !== manifest.sha256) {
        throw new ApiError({ code: 'invalid', message: `the dataset sent as ${manifest.sha256} hashes to ${sha256} here: it was damaged on the way or changed while sent; nothing was kept` });
      }
      const target = join(this.deps.dir, sha256);
      try {
        renameSync(folder, target);
      } catch (error) {
        // Another upload of the same dataset finished first: its copy is the same bytes.
        if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
      return { sha256, files: manifest.files.length, bytes: manifest.files.reduce((sum, f) => sum + f.size, 0) };
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  private upload(uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new ApiError({ code: 'not-found', message: `uploadId: no dataset upload ${uploadId} open on this node (finished, refused or abandoned)` });
    return upload;
  }

  private dropIdle(): void {
    for (const [id, upload] of this.uploads) {
      if (this.now() - upload.touchedAt < IDLE_UPLOAD_MS) continue;
      this.uploads.delete(id);
      rmSync(upload.folder, { recursive: true, force: true });
    }
  }
}
