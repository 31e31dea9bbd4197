import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * A dataset's identity between the app and a node: SHA-256 over each file's relative path, size and
 * bytes, in path order. Both ends compute it with this function: the app over its files, the node
 * over what it received.
 */
export async function hashDataset(files: readonly { path: string; size: number; source: string }[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.path}\0${file.size}\0`);
    let read = 0;
    for await (const chunk of createReadStream(file.source)) {
      read += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    // A file that changed size since it was listed would hash as neither version.
    if (read !== file.size) throw new Error(`${file.source} changed while it was hashed (${read} bytes, listed as ${file.size})`);
  }
  return hash.digest('hex');
}
