import { ApiError } from '../shared/rpc-protocol.js';
import { bestTrial, summarizeSweep, type SweepSpec, type SweepStatus, type SweepSummary, type SweepTrial } from '../shared/sweep.js';
import { planSweep, SweepPlanError } from '../shared/sweep-plan.js';
import type { RunStore } from './run-store.js';
import type { SweepStore } from './sweep-store.js';
import type { TrainerSupervisor } from './trainer-supervisor.js';

export interface SweepQueueDeps {
  supervisor: TrainerSupervisor;
  runs: RunStore;
  sweeps: SweepStore;
  now?: () => number;
  /** How often to look again while another run holds the data directory. */
  busyRetryMs?: number;
  /** At most one progress update per this many ms. */
  progressEveryMs?: number;
}

export type SweepListener = (sweep: SweepStatus) => void;

type TrialOutcome = 'ended' | 'interrupted';

/**
 * Runs sweeps' trials one after another through the supervisor (one run at a time per data
 * directory), sweeps in the order they were started. A failed trial is recorded and the
 * sweep goes on; cancelling stops the current run cleanly and cancels the rest.
 */
export class SweepQueue {
  /** Sweeps this process owns: queued, running, or finished while it ran. */
  private readonly live = new Map<string, SweepStatus>();
  private readonly pending: string[] = [];
  private readonly listeners = new Set<SweepListener>();
  private readonly settledWaiters = new Map<string, ((s: SweepStatus) => void)[]>();
  private readonly cancelling = new Set<string>();
  private current: { sweepId: string; trial: SweepTrial; totalSteps: number; starting?: Promise<string> } | null = null;
  private working = false;
  private wake: (() => void) | null = null;
  private lastProgressAt = 0;
  private readonly now: () => number;

  constructor(private readonly deps: SweepQueueDeps) {
    this.now = deps.now ?? Date.now;
    deps.supervisor.onRecord((runId, record) => {
      const cur = this.current;
      if (!cur || cur.trial.runId !== runId) return;
      if (record.type === 'started') cur.totalSteps = Math.max(1, record.totalSteps);
      else if (record.type === 'step' && cur.totalSteps > 0) {
        cur.trial.progress = Math.min(1, record.step / cur.totalSteps);
        const progressEveryMs = this.deps.progressEveryMs ?? 500;
        if (this.now() - this.lastProgressAt >= progressEveryMs) {
          this.lastProgressAt = this.now();
          this.emit(this.live.get(cur.sweepId)!);
        }
      }
    });
  }

  onChange(listener: SweepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plans the sweep, writes it, and queues it behind any sweep already running here. */
  start(spec: SweepSpec): SweepStatus {
    let configs;
    try {
      configs = planSweep(spec);
    } catch (error) {
      if (error instanceof SweepPlanError) throw new ApiError({ code: 'invalid', message: error.message, fields: error.errors });
      throw error;
    }
    const sweep = this.deps.sweeps.create(spec, configs);
    this.enqueue(sweep);
    return sweep;
  }

  /** Takes over an interrupted sweep and runs its remaining trials; an interrupted run resumes from its checkpoint. */
  continue(sweepId: string): SweepStatus {
    const sweep = this.get(sweepId);
    if (sweep.state !== 'interrupted') {
      throw new ApiError({ code: 'conflict', message: `sweep ${sweepId} is ${sweep.state}; only an interrupted sweep can continue` });
    }
    sweep.state = 'queued';
    sweep.reason = undefined;
    this.enqueue(sweep);
    return sweep;
  }

  list(): SweepSummary[] {
    return this.deps.sweeps.list((id) => this.live.has(id)).map((s) => (this.live.has(s.id) ? summarizeSweep(this.live.get(s.id)!) : s));
  }

  get(sweepId: string): SweepStatus {
    return this.live.get(sweepId) ?? this.deps.sweeps.read(sweepId, (id) => this.live.has(id));
  }

  /** Resolves with the sweep once it is no longer queued or running here. */
  settled(sweepId: string): Promise<SweepStatus> {
    const sweep = this.get(sweepId);
    if (sweep.state !== 'queued' && sweep.state !== 'running') return Promise.resolve(sweep);
    return new Promise((resolve) => {
      const waiters = this.settledWaiters.get(sweepId) ?? [];
      waiters.push(resolve);
      this.settledWaiters.set(sweepId, waiters);
    });
  }

  /** Stops the running trial (its run keeps a checkpoint) and cancels every trial not yet run. */
  async cancel(sweepId: string): Promise<SweepStatus> {
    const owner = this.deps.sweeps.otherOwner(sweepId);
    if (owner !== null && !this.live.has(sweepId)) {
      throw new ApiError({ code: 'conflict', message: `sweep ${sweepId} is run by another process (pid ${owner}); cancel it there` });
    }
    const sweep = this.get(sweepId);
    if (sweep.state === 'done' || sweep.state === 'cancelled') {
      throw new ApiError({ code: 'conflict', message: `sweep ${sweepId} is already ${sweep.state}` });
    }
    if (this.current?.sweepId === sweepId) {
      const current = this.current;
      this.cancelling.add(sweepId);
      this.wake?.();
      // A trainer told to stop while it loads its data exits without a checkpoint: let it begin first.
      await current.starting?.catch(() => {});
      const runId = current.trial.runId;
      if (runId && this.deps.supervisor.activeRunId === runId) await this.deps.supervisor.stop(runId).catch(() => {});
      return this.settled(sweepId);
    }
    const queuedAt = this.pending.indexOf(sweepId);
    if (queuedAt >= 0) this.pending.splice(queuedAt, 1);
    this.finish(sweep, 'cancelled');
    return sweep;
  }

  private enqueue(sweep: SweepStatus): void {
    this.live.set(sweep.id, sweep);
    this.pending.push(sweep.id);
    this.save(sweep);
    void this.work();
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let id = this.pending.shift(); id !== undefined; id = this.pending.shift()) {
        await this.runSweep(this.live.get(id)!);
      }
    } finally {
      this.working = false;
    }
  }

  private async runSweep(sweep: SweepStatus): Promise<void> {
    sweep.state = 'running';
    this.save(sweep);
    for (const trial of sweep.trials) {
      if (trial.status !== 'queued') continue;
      if (this.cancelling.has(sweep.id)) break;
      this.current = { sweepId: sweep.id, trial, totalSteps: 0 };
      const outcome = await this.runTrial(sweep, trial).finally(() => (this.current = null));
      if (outcome === 'interrupted') {
        sweep.state = 'interrupted';
        sweep.reason = `trial ${trial.index + 1}'s run ${trial.runId} was stopped outside the sweep; continue the sweep to resume it`;
        this.save(sweep, false);
        this.settle(sweep);
        return;
      }
    }
    this.finish(sweep, this.cancelling.has(sweep.id) ? 'cancelled' : 'done');
  }

  private async runTrial(sweep: SweepStatus, trial: SweepTrial): Promise<TrialOutcome> {
    const { supervisor, runs } = this.deps;
    trial.status = 'running';
    trial.startedAt = this.now();
    trial.progress = 0;
    this.save(sweep);
    for (;;) {
      if (this.cancelling.has(sweep.id)) return this.endTrial(sweep, trial, 'cancelled', 'the sweep was cancelled');
      const previous = trial.runId ? this.previousRun(trial.runId) : null;
      if (previous?.status === 'done') return this.record(sweep, trial, trial.runId!);
      const before = supervisor.activeRunId;
      const starting = previous?.resumable ? supervisor.resume(trial.runId!) : supervisor.start(trial.config);
      const ours = supervisor.activeRunId !== before ? supervisor.activeRunId : null;
      this.current!.starting = starting;
      if (ours) {
        trial.runId = ours;
        trial.reason = undefined;
        if (!previous?.resumable) runs.setMeta(ours, { tags: [...runs.meta(ours).tags, sweep.id] });
        this.save(sweep);
      }
      try {
        await starting;
      } catch (error) {
        if (!ours && error instanceof ApiError && error.error.code === 'conflict') {
          // Another run (the app's, another CLI's) holds the data directory: wait for it.
          trial.reason = `waiting: ${error.message}`;
          this.save(sweep);
          await this.sleep(this.deps.busyRetryMs ?? 1000);
          continue;
        }
        if (ours) await this.ended(ours);
        if (ours && !this.previousRun(ours)) trial.runId = undefined;
        const status = this.cancelling.has(sweep.id) ? 'cancelled' : 'failed';
        return this.endTrial(sweep, trial, status, error instanceof Error ? error.message : String(error));
      }
      await this.ended(ours!);
      return this.record(sweep, trial, ours!);
    }
  }

  /** Reads the finished run into its trial. */
  private record(sweep: SweepStatus, trial: SweepTrial, runId: string): TrialOutcome {
    const summary = this.deps.runs.summary(runId, false);
    trial.testLoss = summary.testLoss;
    trial.testAccuracy = summary.testAccuracy;
    switch (summary.status) {
      case 'done':
        trial.metric = summary[sweep.metric.key];
        return this.endTrial(sweep, trial, 'done');
      case 'stopped':
        if (this.cancelling.has(sweep.id)) return this.endTrial(sweep, trial, 'cancelled', 'the sweep was cancelled');
        trial.status = 'queued';
        trial.progress = undefined;
        trial.reason = 'stopped outside the sweep';
        return 'interrupted';
      default:
        return this.endTrial(sweep, trial, 'failed', summary.reason ?? `the run ended ${summary.status}`);
    }
  }

  private endTrial(sweep: SweepStatus, trial: SweepTrial, status: 'done' | 'failed' | 'cancelled', reason?: string): TrialOutcome {
    trial.status = status;
    trial.reason = reason;
    trial.endedAt = this.now();
    trial.progress = undefined;
    sweep.best = bestTrial(sweep.trials, sweep.metric);
    this.save(sweep);
    return 'ended';
  }

  private finish(sweep: SweepStatus, state: 'done' | 'cancelled'): void {
    if (state === 'cancelled') {
      for (const t of sweep.trials) {
        if (t.status === 'queued' || t.status === 'running') {
          t.status = 'cancelled';
          t.reason = 'the sweep was cancelled';
          t.progress = undefined;
        }
      }
    }
    sweep.state = state;
    sweep.reason = undefined;
    sweep.best = bestTrial(sweep.trials, sweep.metric);
    this.cancelling.delete(sweep.id);
    this.save(sweep, false);
    this.settle(sweep);
  }

  private settle(sweep: SweepStatus): void {
    for (const resolve of this.settledWaiters.get(sweep.id) ?? []) resolve(sweep);
    this.settledWaiters.delete(sweep.id);
    // Keep no stale in-memory copy: from now on the file is the truth (another process may continue it).
    this.live.delete(sweep.id);
  }

  private previousRun(runId: string): { status: string; resumable: boolean } | null {
    try {
      const s = this.deps.runs.summary(runId, false);
      return { status: s.status, resumable: s.resumable && s.status !== 'done' };
    } catch {
      return null;
    }
  }

  /** Resolves once `runId` no longer trains (its log closed, the lock released). */
  private ended(runId: string): Promise<void> {
    const { supervisor } = this.deps;
    return new Promise((resolve) => {
      const check = () => {
        if (supervisor.activeRunId === runId) return;
        off();
        resolve();
      };
      const off = supervisor.onStatusChange(check);
      check();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private save(sweep: SweepStatus, owned = true): void {
    this.deps.sweeps.save(sweep, owned);
    this.emit(sweep);
  }

  private emit(sweep: SweepStatus): void {
    for (const l of this.listeners) l(sweep);
  }
}
