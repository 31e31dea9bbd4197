import { mkdirSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiError } from '../shared/rpc-protocol.js';
import type { RunConfig } from '../shared/run-config.js';
import { sweepMetric, SweepStatus, summarizeSweep, type SweepSpec, type SweepSummary } from '../shared/sweep.js';
import { writeFileAtomic } from './atomic-file.js';
import { pidAlive, type PidAlive } from './run-lock.js';
import { stamp } from './run-store.js';

const SWEEP_ID = /^sweep-\d{8}-\d{6}-[0-9a-f]{4}$/;

/** On disk, a sweep also names the process running it, so another process can tell a live sweep from an orphan. */
const SweepFile = SweepStatus.extend({ ownerPid: z.number().int().nullable() });
type SweepFile = z.infer<typeof SweepFile>;

export const SWEEP_INTERRUPTED_REASON = 'interrupted: the app or CLI running it exited before it ended; continue it to run the rest';

/**
 * Sweeps on disk as `<dataDir>/sweeps/<id>.json`, each replaced atomically on every change, so
 * a crash leaves the last complete state. One whose owner is gone reads as interrupted.
 */
export class SweepStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly pid: number = process.pid,
    private readonly alive: PidAlive = pidAlive,
    private readonly now: () => number = Date.now,
    private readonly randomHex: () => string = () => Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0'),
  ) {
    this.dir = join(dataDir, 'sweeps');
    mkdirSync(this.dir, { recursive: true });
  }

  create(spec: SweepSpec, configs: RunConfig[]): SweepStatus {
    const createdAt = this.now();
    for (;;) {
      const id = `sweep-${stamp(createdAt)}-${this.randomHex()}`;
      try {
        // Reserves the name, so two processes never write the same sweep.
        closeSync(openSync(this.file(id), 'wx'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      const sweep: SweepStatus = {
        id,
        createdAt,
        updatedAt: createdAt,
        spec,
        metric: sweepMetric(spec.base.dataset),
        state: 'queued',
        trials: configs.map((config, index) => ({ index, config, status: 'queued' })),
        best: null,
      };
      this.save(sweep, true);
      return sweep;
    }
  }

  /** `owned`: this process runs it now (or has it queued). */
  save(sweep: SweepStatus, owned: boolean): void {
    sweep.updatedAt = this.now();
    const file: SweepFile = {
      ...sweep,
      // Progress changes every step; the file keeps what lasts.
      trials: sweep.trials.map((t) => ({ ...t, progress: undefined })),
      ownerPid: owned ? this.pid : null,
    };
    writeFileAtomic(this.file(sweep.id), JSON.stringify(file, null, 2) + '\n');
  }

  /**
   * A sweep as it stands on disk. `ownedHere` says whether this process runs it: one left
   * queued or running by a process that is gone (or by an earlier process with this pid) is interrupted.
   */
  read(sweepId: string, ownedHere: (id: string) => boolean): SweepStatus {
    const { ownerPid, ...sweep } = this.load(sweepId);
    const live = sweep.state === 'queued' || sweep.state === 'running';
    const ownerGone = ownerPid === null || (ownerPid === this.pid ? !ownedHere(sweep.id) : !this.alive(ownerPid));
    if (live && ownerGone) {
      sweep.state = 'interrupted';
      sweep.reason = SWEEP_INTERRUPTED_REASON;
      for (const t of sweep.trials) {
        if (t.status === 'running') {
          t.status = 'queued';
          t.reason = 'interrupted while training';
        }
      }
    }
    return sweep;
  }

  /** Owner of a live sweep run by another process, if any. */
  otherOwner(sweepId: string): number | null {
    const { ownerPid, state } = this.load(sweepId);
    const live = state === 'queued' || state === 'running';
    return live && ownerPid !== null && ownerPid !== this.pid && this.alive(ownerPid) ? ownerPid : null;
  }

  /** Newest first; a file that cannot be read is left out, not deleted. */
  list(ownedHere: (id: string) => boolean): SweepSummary[] {
    const out: SweepSummary[] = [];
    for (const name of readdirSync(this.dir)) {
      const id = name.replace(/\.json$/, '');
      if (!SWEEP_ID.test(id) || name !== `${id}.json`) continue;
      try {
        out.push(summarizeSweep(this.read(id, ownedHere)));
      } catch {
        continue;
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
  }

  private load(sweepId: string): SweepFile {
    if (!SWEEP_ID.test(sweepId)) throw notFound(sweepId);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(this.file(sweepId), 'utf8'));
    } catch {
      throw notFound(sweepId);
    }
    const parsed = SweepFile.safeParse(data);
    if (!parsed.success) {
      throw new ApiError({ code: 'internal', message: `sweep ${sweepId}: its file is not a sweep (${parsed.error.issues[0]?.message})` });
    }
    return parsed.data;
  }

  private file(sweepId: string): string {
    return join(this.dir, `${sweepId}.json`);
  }
}

function notFound(sweepId: string): ApiError {
  return new ApiError({ code: 'not-found', message: `sweepId: no sweep named ${JSON.stringify(sweepId)}` });
}
