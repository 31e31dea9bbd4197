import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiError } from '../shared/rpc-protocol.js';

/** What the trainer child holding the lock does; absent in locks written before evaluations existed. */
export type LockPurpose = 'training' | 'evaluation';
const LockFile = z.object({ runId: z.string(), pid: z.number().int(), since: z.number(), purpose: z.enum(['training', 'evaluation']).optional() });
type LockFile = z.infer<typeof LockFile>;

export type PidAlive = (pid: number) => boolean;

export const pidAlive: PidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One run trains at a time per data directory, whichever process (app, serve, CLI) starts
 * it: an exclusive lock file naming the run and the owning pid. A lock whose owner died is
 * stale and taken over.
 */
export class DataDirLock {
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly pid: number = process.pid,
    private readonly alive: PidAlive = pidAlive,
    private readonly now: () => number = Date.now,
  ) {
    this.file = join(dataDir, 'training.lock');
  }

  /** The run holding the lock, if its owner is alive. */
  holder(): LockFile | null {
    const held = this.read();
    return held && this.alive(held.pid) ? held : null;
  }

  acquire(runId: string, purpose: LockPurpose = 'training'): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.file, 'wx');
        writeSync(fd, JSON.stringify({ runId, pid: this.pid, since: this.now(), purpose } satisfies LockFile));
        closeSync(fd);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = this.holder();
      if (held) {
        throw new ApiError({
          code: 'conflict',
          message: `${describeHolder(held)} in this data directory (pid ${held.pid}); one trainer runs at a time: stop it or wait for it to finish`,
        });
      }
      if (this.beingWritten()) continue;
      rmSync(this.file, { force: true });
    }
    throw new ApiError({ code: 'conflict', message: `could not take the training lock ${this.file}` });
  }

  release(runId: string): void {
    if (this.read()?.runId === runId) rmSync(this.file, { force: true });
  }

  /** Another process created the file an instant ago and has not written it yet. */
  private beingWritten(): boolean {
    try {
      return this.read() === null && this.now() - statSync(this.file).mtimeMs < 2000;
    } catch {
      return false;
    }
  }

  private read(): LockFile | null {
    try {
      const parsed = LockFile.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

/** `run X is already training` / `run X is being evaluated`, for conflict messages. */
export function describeHolder(held: { runId: string; purpose?: LockPurpose }): string {
  return held.purpose === 'evaluation' ? `run ${held.runId} is being evaluated` : `run ${held.runId} is already training`;
}
