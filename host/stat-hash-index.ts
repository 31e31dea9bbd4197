import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Sha256 } from '../shared/dataset-upload.js';
import { writeFileAtomic } from './atomic-file.js';

const IndexFile = z.record(z.string(), Sha256);

/**
 * Content hashes remembered by a key made from files' paths, sizes and modification times, as
 * make trusts them: hashing the same files again each time would cost seconds or more. One small
 * JSON file holding the last `keep` entries; an unreadable file counts as empty.
 */
export class StatHashIndex {
  constructor(
    private readonly file: string,
    private readonly keep: number,
  ) {}

  get(statKey: string): string | undefined {
    return this.read()[statKey];
  }

  set(statKey: string, sha256: string): void {
    const entries = Object.entries(this.read()).filter(([key]) => key !== statKey);
    entries.push([statKey, sha256]);
    writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(entries.slice(-this.keep))));
  }

  private read(): Record<string, string> {
    try {
      return IndexFile.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      return {};
    }
  }
}
