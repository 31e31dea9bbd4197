import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `file` so a crash leaves either the old or the new contents, never a mix. With `mode`,
 * the contents are never readable under any wider permission, not even for a moment.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', mode);
  try {
    // A temp file left by a crash keeps its old mode through the `w` open.
    if (mode !== undefined) fchmodSync(fd, mode);
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
