import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { z } from 'zod';
import { packageRoot } from '../host/package-root.js';

const STDERR_KEPT = 4000;

/**
 * Runs `hpc-studio ARGS --json --data-dir DIR` as a user would and returns its last stdout line
 * (the done line), checked against `schema`. A failed command rejects with its error lines and the
 * end of its stderr, so a bench that stops says why.
 */
export function cliJsonRun<T extends z.ZodType>(args: readonly string[], dataDir: string, schema: T): Promise<z.infer<T>> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'hpc-studio.mjs'), ...args, '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-STDERR_KEPT)));
  const command = `hpc-studio ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = out.trim().split('\n').filter((l) => l !== '');
      if (code !== 0) {
        const errors = lines.filter((l) => l.includes('"type":"error"'));
        return reject(new Error(`${command} exited ${code ?? signal}\n${errors.join('\n')}\n${err.trimEnd()}`));
      }
      const parsed = schema.safeParse(JSON.parse(lines.at(-1) ?? 'null'));
      if (!parsed.success) return reject(new Error(`${command}: its last line is not the done line expected: ${parsed.error.message}\n${lines.at(-1)}`));
      resolve(parsed.data);
    });
  });
}
