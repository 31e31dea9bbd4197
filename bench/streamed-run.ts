import { performance } from 'node:perf_hooks';
import type { ApiClient } from '../shared/api-client.js';
import type { RunConfig } from '../shared/run-config.js';
import type { RunRecord } from '../shared/run-record.js';
import type { BackendChoice } from '../shared/trainer-protocol.js';
import { StepTally } from './step-tally.js';
import { StepWindow, type StepTimedWindow } from './step-window.js';

type Waiter = { until: (record: RunRecord, receivedAt: number) => boolean; resolve: () => void };

/**
 * A run trained by the app, seen from a client of its API: started, paused and resumed with the
 * API's commands, and timed from the step events as the client receives them (its own clock at
 * arrival, which is when a user could see them). Counts every step it receives.
 */
export class StreamedRun {
  readonly steps = new StepTally();
  private runId: string | null = null;
  private backendChoice: BackendChoice | null = null;
  private pid: number | null = null;
  private waiters: Waiter[] = [];

  private constructor(private readonly client: ApiClient) {
    client.on('run-record', ({ runId, record }) => {
      const receivedAt = performance.now();
      // Started right after this listens, and one run trains at a time: the first records are its own.
      this.runId ??= runId;
      if (runId !== this.runId) return;
      if (record.type === 'ready') {
        this.backendChoice = record.backend;
        this.pid = record.pid;
      }
      if (record.type === 'step') this.steps.add(record.step);
      const done = this.waiters.filter((w) => w.until(record, receivedAt));
      this.waiters = this.waiters.filter((w) => !done.includes(w));
      for (const w of done) w.resolve();
    });
  }

  /** Starts the run and lets it train `warmupSamples`, then pauses it. */
  static async start(client: ApiClient, config: RunConfig, warmupSamples: number): Promise<StreamedRun> {
    const run = new StreamedRun(client);
    const warm = run.next((r) => r.type === 'step' && r.samplesSeen >= warmupSamples);
    const { runId } = await client.api.startRun({ config });
    if (run.runId !== runId) throw new Error(`records arrived for run ${run.runId}, but the run started is ${runId}`);
    await warm;
    await run.pause();
    return run;
  }

  get id(): string {
    return this.runId!;
  }

  get backend(): BackendChoice | null {
    return this.backendChoice;
  }

  get trainerPid(): number | null {
    return this.pid;
  }

  /**
   * Resumes the run for one window of at least `samples` after the first step received, then
   * pauses it. `atClient` is timed by this client's clock at each step's arrival; `atTrainer`, for
   * telling the transport's share from the trainer's, by the step events' own times (Date.now, 1 ms).
   */
  async window(samples: number): Promise<{ atClient: StepTimedWindow; atTrainer: StepTimedWindow }> {
    const cut = { atClient: new StepWindow(samples), atTrainer: new StepWindow(samples) };
    let timed: { atClient: StepTimedWindow; atTrainer: StepTimedWindow } | null = null;
    const complete = this.next((r, receivedAt) => {
      if (r.type !== 'step') return false;
      const atClient = cut.atClient.observe(r.samplesSeen, receivedAt, r.epoch);
      const atTrainer = cut.atTrainer.observe(r.samplesSeen, r.time, r.epoch);
      if (atClient && atTrainer) timed = { atClient, atTrainer };
      return timed !== null;
    });
    await this.client.api.unpauseRun({ runId: this.id });
    await complete;
    await this.pause();
    return timed!;
  }

  /** Stops the run (the trainer checkpoints and exits) and waits for its last record. */
  async stop(): Promise<void> {
    const stopped = this.next((r) => r.type === 'stopped');
    await this.client.api.stopRun({ runId: this.id });
    await stopped;
  }

  /** Pauses and waits for the trainer's own `paused`: every step before it has arrived by then. */
  private async pause(): Promise<void> {
    const paused = this.next((r) => r.type === 'paused');
    await this.client.api.pauseRun({ runId: this.id });
    await paused;
  }

  private next(until: Waiter['until']): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }
}
