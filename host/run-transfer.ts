import { Readable } from 'node:stream';
import type { ApiParams, ApiResult } from '../shared/api-contract.js';
import { MAX_TRANSFER_BYTES, TRANSFER_LIMIT_TEXT } from '../shared/run-export.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { importRunArchive } from './run-archive.js';
import { exportRun } from './run-export.js';
import type { RunStore } from './run-store.js';

export interface RunTransferDeps {
  store: RunStore;
  version: string;
  isActive: (runId: string) => boolean;
  now: () => number;
  hostName: string;
}

/** Export and import through the API: whole files as base64, within MAX_TRANSFER_BYTES. */
export class RunTransfer {
  constructor(private readonly deps: RunTransferDeps) {}

  async exportRun({ runId, format, series }: ApiParams<'exportRun'>): Promise<ApiResult<'exportRun'>> {
    const d = this.deps;
    const file = await exportRun(d.store, runId, format, { active: d.isActive(runId), series, writer: d.version, now: d.now, hostName: d.hostName });
    if (file.bytes.length > MAX_TRANSFER_BYTES) {
      throw new ApiError({
        code: 'invalid',
        message: `format: the ${format} export of ${runId} is ${mib(file.bytes.length)}, over the ${TRANSFER_LIMIT_TEXT} the app can carry; use \`hpc-studio runs export ${runId} --format ${format}\``,
      });
    }
    return { fileName: file.fileName, mimeType: file.mimeType, base64: file.bytes.toString('base64') };
  }

  async importRun({ fileName, base64 }: ApiParams<'importRun'>): Promise<ApiResult<'importRun'>> {
    try {
      return { runId: await importRunArchive(Readable.from([Buffer.from(base64, 'base64')]), this.deps.store.runsDir) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError({ ...error.error, message: `${fileName}: ${error.message}` });
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
