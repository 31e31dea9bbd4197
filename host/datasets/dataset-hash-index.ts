import { createHash } from 'node:crypto';
import { StatHashIndex } from '../stat-hash-index.js';
import type { DatasetFiles } from './dataset-files.js';
import { hashDataset } from './dataset-hash.js';

/**
 * Datasets' hashes by their files' paths, sizes and modification times: reading a large dataset
 * again before every run would cost seconds to minutes. The last 16 datasets are remembered.
 */
export class DatasetHashIndex {
  /** Hashes being taken in this process, so the peers of one run hash their dataset once. */
  private readonly hashing = new Map<string, Promise<string>>();
  private readonly known: StatHashIndex;

  constructor(file: string) {
    this.known = new StatHashIndex(file, 16);
  }

  hash(dataset: DatasetFiles): Promise<string> {
    const key = createHash('sha256')
      .update([dataset.root, ...dataset.files.map((f) => `${f.path}\0${f.size}\0${f.mtimeMs}`)].join('\n'))
      .digest('hex');
    const known = this.known.get(key);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = hashDataset(dataset.files)
        .then((sha256) => {
          this.known.set(key, sha256);
          return sha256;
        })
        .finally(() => this.hashing.delete(key));
      this.hashing.set(key, pending);
    }
    return pending;
  }
}
