import type { Distribution, PeerAddress } from '../shared/distributed.js';
import type { RunConfig } from '../shared/run-config.js';
import type { RunRecord, RunStatus } from '../shared/run-record.js';
import { ApiError } from '../shared/rpc-protocol.js';
import {
  TrainerMessage,
  type BackendChoice,
  type HyperparamChange,
  type TrainerCommand,
  type TrainerEvent,
} from '../shared/trainer-protocol.js';
import { resolveCompressionSource } from './compression-source.js';
import { resolveTeacher, type TeacherHandle } from './distillation-teacher.js';
import type { FinishedRunHandle } from './finished-run-source.js';
import type { RunLogWriter } from './run-log.js';
import { describeHolder, type DataDirLock } from './run-lock.js';
import type { RunStore } from './run-store.js';
import type { SpawnTrainer, TrainerProcess } from './trainer-process.js';

export interface SupervisorDeps {
  spawnTrainer: SpawnTrainer;
  store: RunStore;
  lock: DataDirLock;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** How long a trainer may take to honour `stop` before it is killed. */
  stopTimeoutMs?: number;
}

export type RecordListener = (runId: string, record: RunRecord) => void;

const STDERR_TAIL_LINES = 20;

/**
 * Runs one trainer child at a time: starts it, relays commands, writes every event to the
 * run's log, and turns an unexpected exit into a failed run with its reason, so a crash
 * never takes the host down with it.
 */
export class TrainerSupervisor {
  private active: SupervisedRun | null = null;
  private readonly recordListeners = new Set<RecordListener>();
  private readonly statusListeners = new Set<() => void>();
  private backend: BackendChoice | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: SupervisorDeps) {
    this.now = deps.now ?? Date.now;
  }

  get activeRunId(): string | null {
    return this.active?.runId ?? null;
  }

  get lastBackend(): BackendChoice | null {
    return this.backend;
  }

  /** The running trainer's process id, for the hardware monitor. */
  get trainerPid(): number | null {
    return this.active?.pid ?? null;
  }

  onRecord(listener: RecordListener): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  onStatusChange(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves with the run's id once the trainer has loaded its data and begun. */
  async start(config: RunConfig): Promise<string> {
    const teacher = this.teacherOf(config);
    // A compression run is stored with its source's config and the job, whatever else it was given.
    const compression = config.compression && resolveCompressionSource(this.deps.store, config.compression, (id) => this.trainingNow(id));
    const runConfig = compression?.config ?? config;
    this.assertIdle();
    const { runId, log } = this.deps.store.create(runConfig);
    return this.launch(runId, log, runConfig, false, { teacher, source: compression?.source });
  }

  /** Continues a stopped or failed run from its newest checkpoint, as the same run. */
  /** `distribution`: the peers it trains over now, when they are not the ones it started with (a cluster run's next job). */
  async resume(runId: string, distribution?: Distribution): Promise<string> {
    this.assertIdle();
    const summary = this.deps.store.summary(runId, false);
    if (summary.status === 'done') {
      throw new ApiError({ code: 'conflict', message: `run ${runId} is done; only a stopped or failed run can resume` });
    }
    if (!summary.resumable) {
      throw new ApiError({ code: 'conflict', message: `run ${runId} has no checkpoint to resume from` });
    }
    const config = distribution === undefined ? summary.config : { ...summary.config, distribution };
    const teacher = this.teacherOf(config);
    return this.launch(runId, this.deps.store.appendLog(runId), config, true, { teacher });
  }

  pause(runId: string): void {
    this.running(runId).send({ type: 'pause' });
  }

  unpause(runId: string): void {
    this.running(runId).send({ type: 'resume' });
  }

  setHyperparams(runId: string, change: HyperparamChange): void {
    const run = this.running(runId);
    const distillOnly = (['temperature', 'alpha'] as const).find((field) => change[field] !== undefined);
    if (distillOnly && !run.distilled) {
      const message = `change.${distillOnly}: run ${runId} is not distilled; temperature and alpha apply only to a distilled run`;
      throw new ApiError({ code: 'invalid', message, fields: [{ field: `change.${distillOnly}`, message }] });
    }
    run.append({ type: 'hyperparams-requested', time: this.now(), change });
    run.send({ type: 'set-hyperparams', change });
  }

  /** Adds a peer to a data-parallel run while it trains; it joins at the next epoch boundary. */
  addPeer(runId: string, address: PeerAddress): void {
    const run = this.running(runId);
    if (run.parallel !== 'data') {
      const why = run.parallel === 'model' ? 'trains model-parallel: its stages are fixed when it starts; peers join only data-parallel runs' : 'trains on one trainer; only a run started with peers takes more';
      throw new ApiError({ code: 'invalid', message: `runId: run ${runId} ${why}`, fields: [{ field: 'runId', message: 'not a data-parallel run' }] });
    }
    run.send({ type: 'add-peer', address });
  }

  /** Adds a host record (hardware, hint) to the training run's log; nothing when none trains. */
  appendToActive(record: RunRecord): void {
    this.active?.append(record);
  }

  /** Asks the trainer to checkpoint and exit; resolves once it has. */
  stop(runId: string): Promise<void> {
    return this.running(runId).stop(this.deps.stopTimeoutMs ?? 30_000);
  }

  /** Resolves once no trainer is running (its log closed, its lock released). */
  async idle(): Promise<void> {
    while (this.active) await this.active.exited;
  }

  /** Stops whatever is training, for a clean shutdown of the host. */
  async stopAll(): Promise<void> {
    if (this.active) await this.active.stop(this.deps.stopTimeoutMs ?? 30_000);
  }

  private assertIdle(): void {
    const holder = this.active ? { runId: this.active.runId } : this.deps.lock.holder();
    if (holder) {
      throw new ApiError({
        code: 'conflict',
        message: `${describeHolder(holder)}; stop it or wait for it to finish before starting another`,
      });
    }
  }

  /** A distilled run's teacher, checked before anything is stored or started. */
  private teacherOf(config: RunConfig): TeacherHandle | undefined {
    if (!config.distillation) return undefined;
    return resolveTeacher(this.deps.store, config, (id) => this.trainingNow(id));
  }

  /** Whether a trainer (here, or another process on this data dir) is training that run now. */
  private trainingNow(runId: string): boolean {
    const holder = this.deps.lock.holder();
    return this.active?.runId === runId || (holder?.runId === runId && holder.purpose !== 'evaluation');
  }

  private running(runId: string): SupervisedRun {
    if (!this.active || this.active.runId !== runId) {
      throw new ApiError({ code: 'conflict', message: `run ${runId} is not training now` });
    }
    return this.active;
  }

  private launch(
    runId: string,
    log: RunLogWriter,
    config: RunConfig,
    resume: boolean,
    { teacher, source }: { teacher?: TeacherHandle; source?: FinishedRunHandle },
  ): Promise<string> {
    try {
      this.deps.lock.acquire(runId);
    } catch (error) {
      log.close();
      if (!resume) this.deps.store.delete(runId);
      throw error;
    }
    const child = this.deps.spawnTrainer({ ...process.env, ...this.deps.env });
    const run = new SupervisedRun(runId, child, log, this.now, config.distribution?.parallel ?? null, config.distillation !== undefined, (record) => {
      if (record.type === 'ready') this.backend = record.backend;
      for (const l of this.recordListeners) l(runId, record);
      if (record.type === 'status') for (const l of this.statusListeners) l();
    });
    this.active = run;
    run.append({ type: 'status', time: this.now(), status: 'running' }, true);
    run.exited.then((outcome) => {
      this.active = null;
      this.deps.lock.release(runId);
      if (outcome.rejectedInput && !resume) this.deps.store.delete(runId);
      for (const l of this.statusListeners) l();
    });
    const paths = this.deps.store.paths(runId);
    return run
      .begin({
        type: 'start',
        runId,
        config,
        checkpointDir: paths.checkpoints,
        resume,
        ...(teacher ? { teacher } : {}),
        ...(source ? { source, modelsDir: paths.models } : {}),
      })
      .then(() => runId);
  }
}

interface RunOutcome {
  /** The trainer refused the run's input before training (bad field). */
  rejectedInput: boolean;
}

/** One trainer child and the log it feeds, from spawn to exit. */
class SupervisedRun {
  readonly exited: Promise<RunOutcome>;
  pid: number | null = null;
  private started = false;
  private terminal: 'done' | 'stopped' | null = null;
  private inputError: { field?: string; message: string } | null = null;
  private readonly stderrTail: string[] = [];
  private resolveStarted!: () => void;
  private rejectStarted!: (error: Error) => void;
  private readonly startedPromise: Promise<void>;
  private startCommand: TrainerCommand | null = null;

  constructor(
    readonly runId: string,
    private readonly child: TrainerProcess,
    private readonly log: RunLogWriter,
    private readonly now: () => number,
    /** How the run's peers split the work; null for a run on one trainer. */
    readonly parallel: 'data' | 'model' | null,
    /** Takes live temperature and alpha changes. */
    readonly distilled: boolean,
    private readonly emit: (record: RunRecord) => void,
  ) {
    this.startedPromise = new Promise<void>((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.startedPromise.catch(() => {});
    child.onMessage((message) => this.receive(message));
    child.onOutputLine((line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    });
    this.exited = new Promise((resolve) => {
      child.onExit((code, signal) => resolve(this.finish(code, signal)));
    });
  }

  begin(command: TrainerCommand): Promise<void> {
    this.startCommand = command;
    return this.startedPromise;
  }

  send(command: TrainerCommand): void {
    this.child.send(command);
  }

  append(record: RunRecord, durable = false): void {
    this.log.append(record, durable);
    this.emit(record);
  }

  private appendAll(records: readonly RunRecord[]): void {
    this.log.appendAll(records);
    for (const record of records) this.emit(record);
  }

  async stop(timeoutMs: number): Promise<void> {
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private receive(message: unknown): void {
    const parsed = TrainerMessage.safeParse(message);
    if (!parsed.success) {
      this.append({
        type: 'log',
        time: this.now(),
        level: 'warn',
        message: `rejected a malformed message from the trainer: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      });
      return;
    }
    // Steps change nothing but the log: a batch is written in one go.
    if (parsed.data.type === 'steps') this.appendAll(parsed.data.steps);
    else this.handle(parsed.data);
  }

  private handle(event: TrainerEvent): void {
    this.append(event, event.type === 'done' || event.type === 'stopped' || event.type === 'checkpoint');
    switch (event.type) {
      case 'ready':
        this.pid = event.pid;
        if (this.startCommand) this.send(this.startCommand);
        break;
      case 'started':
        this.started = true;
        if (event.resumedFromStep !== undefined) {
          this.append({ type: 'resume', time: this.now(), fromStep: event.resumedFromStep }, true);
        }
        this.resolveStarted();
        break;
      case 'error':
        this.inputError = { field: event.field, message: event.message };
        break;
      case 'paused':
      case 'resumed':
        this.status(event.type === 'paused' ? 'paused' : 'running');
        break;
      case 'done':
      case 'stopped':
        this.terminal = event.type;
        this.status(event.type);
        break;
    }
  }

  private status(status: RunStatus): void {
    this.append({ type: 'status', time: this.now(), status }, true);
  }

  private finish(code: number | null, signal: string | null): RunOutcome {
    const rejectedInput = !this.started && this.inputError !== null;
    if (!this.terminal) {
      const reason = this.inputError
        ? this.inputError.message
        : signal
          ? `trainer killed by signal ${signal}`
          : `trainer exited with code ${code}`;
      this.append(
        {
          type: 'status',
          time: this.now(),
          status: 'failed',
          reason,
          exitCode: code,
          signal,
          stderrTail: this.stderrTail.slice(),
        },
        true,
      );
      this.rejectStarted(
        this.inputError
          ? new ApiError({
              code: 'invalid',
              message: this.inputError.message,
              fields: [{ field: this.inputError.field ?? '(input)', message: this.inputError.message }],
            })
          : new ApiError({ code: 'internal', message: `the run failed before it began: ${reason}` }),
      );
    }
    this.log.close();
    return { rejectedInput };
  }
}
