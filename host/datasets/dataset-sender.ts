import { open } from 'node:fs/promises';
import type { StudioClientApi } from '../../shared/api-contract.js';
import { DATASET_CHUNK_BYTES } from '../../shared/dataset-upload.js';
import type { DatasetSpec } from '../../shared/run-config.js';
import { datasetFiles } from './dataset-files.js';
import type { DatasetHashIndex } from './dataset-hash-index.js';

/** A node holds the run's dataset under `sha256`; `sentBytes` of its `bytes` were sent now (0: it had it). */
export interface DatasetSent {
  sha256: string;
  files: number;
  bytes: number;
  sentBytes: number;
}

/** Makes sure the node behind `api` holds the dataset of `spec`, sending it if it lacks it; `signal` stops the sending. */
export type SendDataset = (
  api: StudioClientApi,
  spec: DatasetSpec,
  onProgress: (sentBytes: number, totalBytes: number) => void,
  signal: AbortSignal,
) => Promise<DatasetSent>;

/**
 * The app's side of `distribution.dataset: 'upload'`: the dataset's files hashed (remembered by
 * their stats in `index`), the node asked for that hash, and only a node without it sent the files,
 * chunk by chunk in path order, then asked to check and keep them.
 */
export function datasetSender(index: DatasetHashIndex): SendDataset {
  return async (api, spec, onProgress, signal) => {
    const dataset = await datasetFiles(spec);
    const sha256 = await index.hash(dataset);
    const bytes = dataset.files.reduce((sum, f) => sum + f.size, 0);
    if ((await api.datasetStatus({ sha256 })).state === 'present') return { sha256, files: dataset.files.length, bytes, sentBytes: 0 };
    const { uploadId } = await api.beginDatasetUpload({ sha256, files: dataset.files.map(({ path, size }) => ({ path, size })) });
    let sent = 0;
    onProgress(sent, bytes);
    const buffer = Buffer.alloc(Math.min(DATASET_CHUNK_BYTES, Math.max(1, bytes)));
    for (const file of dataset.files) {
      const handle = await open(file.source, 'r');
      try {
        for (let offset = 0; offset < file.size; ) {
          signal.throwIfAborted();
          const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, file.size - offset), offset);
          if (bytesRead === 0) throw new Error(`${file.source} shrank while it was being sent`);
          await api.uploadDatasetChunk({ uploadId, path: file.path, offset, data: buffer.subarray(0, bytesRead).toString('base64') });
          offset += bytesRead;
          sent += bytesRead;
          onProgress(sent, bytes);
        }
      } finally {
        await handle.close();
      }
    }
    return { ...(await api.finishDatasetUpload({ uploadId })), sentBytes: sent };
  };
}
