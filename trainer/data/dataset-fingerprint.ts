import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.js';

/**
 * SHA-256 (first 16 hex digits) of every example a run trains, validates and tests on, as loaded:
 * peers that would train on different data (another file on one node, another limit) say different.
 */
export function datasetFingerprint(dataset: Dataset): string {
  const hash = createHash('sha256');
  for (const split of [dataset.train, dataset.validation, dataset.test]) {
    for (const values of [split.x, split.y]) hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}
