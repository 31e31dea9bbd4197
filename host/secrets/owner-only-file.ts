import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { SecretsFile } from './secret-store.js';

/**
 * A secrets file only its owner can read or write (0600, its folder 0700), like ~/.ssh. One that
 * other users can read is refused, not used, as ssh refuses a loose private key.
 */
export class OwnerOnlyFile {
  constructor(readonly path: string) {}

  read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    refuseLoose(this.path, 'if it is yours, or delete it');
    let parsed;
    try {
      parsed = SecretsFile.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new Error(`${this.path} is not a secrets file HPC Studio wrote; move it away to start afresh`);
    return parsed.data;
  }

  /** Drops one entry; the file is left alone when there is nothing to drop. */
  remove(name: string): void {
    const entries = this.read();
    if (!(name in entries)) return;
    delete entries[name];
    this.write(entries);
  }

  write(entries: Record<string, string>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path, JSON.stringify(entries, null, 2) + '\n', 0o600);
  }
}

/** Throws, naming the mode, when others than the owner may read `path`. */
export function refuseLoose(path: string, advice = ''): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new Error(`${path} can be read by other users (mode ${mode.toString(8)}); run \`chmod 600 ${path}\`${advice ? ` ${advice}` : ''}`);
}
