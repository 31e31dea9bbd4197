import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Sha256 } from '../../shared/dataset-upload.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { DatasetFiles } from './dataset-files.js';
import { hashDataset } from './dataset-hash.js';

const IndexFile = z.record(z.string(), Sha256);

/**
 * Datasets' hashes by their files' paths, sizes and modification times, as make trusts them:
 * reading a large dataset again before every run would cost seconds to minutes. Kept in one small
 * JSON file; the last few datasets only.
 */
export class DatasetHashIndex {
  private static readonly KEEP = 16;
  /** Hashes being taken in this process, so the peers of one run hash their dataset once. */
  private readonly hashing = new Map<string, Promise<string>>();

  constructor(private readonly file: string) {}

  hash(dataset: DatasetFiles): Promise<string> {
    const key = createHash('sha256')
      .update([dataset.root, ...dataset.files.map((f) => `${f.path}\0${f.size}\0${f.mtimeMs}`)].join('\n'))
      .digest('hex');
    const known = this.read()[key];
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = hashDataset(dataset.files)
        .then((sha256) => {
          this.remember(key, sha256);
          return sha256;
        })
        .finally(() => this.hashing.delete(key));
      this.hashing.set(key, pending);
    }
    return pending;
  }

  private remember(key: string, sha256: string): void {
    const entries = Object.entries(this.read()).filter(([k]) => k !== key);
    entries.push([key, sha256]);
    writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(entries.slice(-DatasetHashIndex.KEEP))));
  }

  private read(): Record<string, string> {
    try {
      return IndexFile.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      return {};
    }
  }
}
