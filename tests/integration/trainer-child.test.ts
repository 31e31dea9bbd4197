import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR, type RunConfig } from '../../shared/run-config.js';
import { eventsOf, TrainerMessage, type TrainerCommand, type TrainerEvent, type TrainerEventOf } from '../../shared/trainer-protocol.js';

/** The built child (`npx tsc -p tsconfig.node.json`), driven over its contract alone. */
const ENTRY = join(import.meta.dirname, '../../dist/trainer/main.js');

const config = (patch: Partial<RunConfig> = {}): RunConfig => ({
  dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
  model: 'mlp', epochs: 3, batchSize: 32, lr: 0.002, optimizer: 'adam', seed: 7, limit: 1500,
  ...patch,
});

const children: Trainer[] = [];

/** One trainer child, as the host's supervisor sees it: every event validated against the contract. */
class Trainer {
  readonly events: TrainerEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(env: NodeJS.ProcessEnv = {}) {
    this.process = fork(ENTRY, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.process.on('message', (message) => {
      this.events.push(...eventsOf(TrainerMessage.parse(message)));
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    children.push(this);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  send(command: TrainerCommand | Record<string, unknown>): void {
    this.process.send(command);
  }

  start(runConfig: RunConfig, checkpointDir = mkdtempSync(join(tmpdir(), 'trainer-')), resume = false): string {
    this.send({ type: 'start', runId: 'run-1', config: runConfig, checkpointDir, resume });
    return checkpointDir;
  }

  of<T extends TrainerEvent['type']>(type: T): TrainerEventOf<T>[] {
    return this.events.filter((e): e is TrainerEventOf<T> => e.type === type);
  }

  /** Resolves with the first event of `type` that passes `test`, in arrival order. */
  waitFor<T extends TrainerEvent['type']>(type: T, test: (e: TrainerEventOf<T>) => boolean = () => true, timeoutMs = 20_000): Promise<TrainerEventOf<T>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.of(type).find(test);
        if (found) return done(() => resolve(found));
        if (!this.alive) done(() => reject(new Error(`trainer exited waiting for ${type}; stderr: ${this.stderr}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${type} event in ${timeoutMs} ms`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      void this.exited.then(check);
      check();
    });
  }

  kill(): void {
    if (this.alive) this.process.kill('SIGKILL');
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('the trainer child over its contract', () => {
  it('trains, takes live commands, stops with a checkpoint, and a new child resumes from it', async () => {
    const a = new Trainer();
    const ready = await a.waitFor('ready');
    expect(ready).toMatchObject({
      pid: a.pid,
      backend: {
        name: 'hpc-native',
        skipped: [
          { name: 'tensorflow-gpu', reason: 'not installed' },
          { name: 'tensorflow', reason: 'not installed' },
        ],
      },
    });
    expect(ready.backend.detail).toMatch(/^OpenBLAS \d+\.\d+\.\d+ \w+, \d+ threads?$/);

    // Malformed commands are answered with a warning and otherwise ignored.
    a.send({ type: 'start', runId: '' });
    a.send({ type: 'explode' });
    const warnings = await a.waitFor('log', (l) => l.level === 'warn' && /explode|type/.test(l.message));
    expect(a.of('log').filter((l) => l.level === 'warn')[0]!.message).toMatch(/malformed command: runId/);
    expect(warnings.message).toMatch(/malformed command/);
    expect(a.alive).toBe(true);

    const dir = a.start(config());
    await a.waitFor('progress', (p) => p.phase === 'load-data');
    const started = await a.waitFor('started');
    expect(started).toMatchObject({ dataset: { trainSize: 1375, validationSize: 125, testSize: 10000, classes: 10 }, stepsPerEpoch: 43, totalSteps: 129, elapsedMs: 0 });
    expect(started.resumedFromStep).toBeUndefined();

    await a.waitFor('step', (s) => s.step >= 45);
    a.send({ type: 'set-hyperparams', change: { lr: 0.0005 } });
    const change = await a.waitFor('hyperparams');
    expect(change).toMatchObject({ lr: 0.0005, batchSize: 32 });
    const applied = await a.waitFor('step', (s) => s.step === change.step);
    expect(applied.lr).toBe(0.0005);
    expect(a.of('step').find((s) => s.step === change.step - 1)!.lr).toBe(0.002);

    a.send({ type: 'pause' });
    const paused = await a.waitFor('paused');
    const stepsAtPause = a.of('step').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(a.of('step').length).toBe(stepsAtPause);
    a.send({ type: 'resume' });
    const resumed = await a.waitFor('resumed');
    expect(resumed.step).toBe(paused.step);
    expect((await a.waitFor('step', (s) => s.step > paused.step)).step).toBe(paused.step + 1);

    a.send({ type: 'stop' });
    const stopped = await a.waitFor('stopped');
    expect(await a.exited).toBe(0);
    expect(stopped.checkpoint).toBe(join(dir, 'latest.ckpt'));
    expect(existsSync(stopped.checkpoint!)).toBe(true);
    expect(a.of('checkpoint').at(-1)).toMatchObject({ step: stopped.step, file: stopped.checkpoint });
    expect(a.of('step').at(-1)!.step).toBe(stopped.step);
    // Loss falls over the first epoch and a bit.
    const losses = a.of('step').map((s) => s.loss);
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.7);
    // The first epoch's end was validated and checkpointed.
    expect(a.of('epoch')[0]).toMatchObject({ epoch: 1, step: 43, valAccuracy: expect.any(Number) });
    expect(a.of('checkpoint')[0]).toMatchObject({ step: 43, epoch: 2 });

    const b = new Trainer();
    await b.waitFor('ready');
    b.start(config(), dir, true);
    const again = await b.waitFor('started');
    expect(again.resumedFromStep).toBe(stopped.step);
    expect(again.elapsedMs).toBeGreaterThan(0);
    const next = await b.waitFor('step');
    const last = a.of('step').at(-1)!;
    // The next batch is a whole 32 unless the stop came just before an epoch's short last batch.
    const trainSize = started.dataset.trainSize;
    const doneInEpoch = last.epochProgress === 1 ? 0 : Math.round(last.epochProgress * trainSize);
    expect(next).toMatchObject({ step: stopped.step + 1, lr: 0.0005, samplesSeen: last.samplesSeen + Math.min(32, trainSize - doneInEpoch) });
    expect(next.epoch - last.epoch).toBe(last.epochProgress === 1 ? 1 : 0);
    b.send({ type: 'stop' });
    expect((await b.waitFor('stopped')).step).toBeGreaterThan(stopped.step);
    expect(await b.exited).toBe(0);
  });

  it('gives identical losses for the same seed, different ones for another', async () => {
    const firstLosses = async (seed: number) => {
      const t = new Trainer();
      await t.waitFor('ready');
      t.start(config({ seed, limit: 400 }));
      await t.waitFor('step', (s) => s.step === 5);
      t.send({ type: 'stop' });
      await t.exited;
      return t.of('step').slice(0, 5).map((s) => s.loss);
    };
    const [a, b, c] = await Promise.all([firstLosses(11), firstLosses(11), firstLosses(12)]);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('finishes a run: test set evaluated, done with accuracy as a fraction, exit 0', async () => {
    const t = new Trainer();
    await t.waitFor('ready');
    t.start(config({ epochs: 1, limit: 600, batchSize: 64 }));
    const done = await t.waitFor('done');
    expect(await t.exited).toBe(0);
    expect(done.testAccuracy).toBeGreaterThan(0.3);
    expect(done.testAccuracy).toBeLessThanOrEqual(1);
    expect(done.testLoss).toBeGreaterThan(0);
    expect(t.of('progress').at(-1)).toMatchObject({ phase: 'evaluate', done: 10000, total: 10000 });
    expect(t.of('checkpoint').at(-1)).toMatchObject({ step: done.step });
  });

  it.each(['hpc-native', 'wasm'])('trains the CNN on %s, loss falling', async (backend) => {
    const t = new Trainer({ HPC_STUDIO_BACKEND: backend });
    expect((await t.waitFor('ready')).backend.name).toBe(backend);
    t.start(config({ model: 'cnn', limit: 700, lr: 0.003 }));
    await t.waitFor('step', (s) => s.step === 15, 40_000);
    t.send({ type: 'stop' });
    await t.waitFor('stopped');
    const losses = t.of('step').map((s) => s.loss);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
  });

  it.each([
    ['batchSize', config({ limit: 100, batchSize: 200 }), false, /^batchSize: must be an integer from 1 to 92 \(the training set.s size\)/],
    ['dataset', config({ dataset: { kind: 'fashion-mnist', dir: '/nowhere' } }), false, /dataset-fashion-mnist/],
    ['model', config({ model: 'cnn', dataset: { kind: 'csv', path: join(import.meta.dirname, '../../resources/linear-regression.csv'), target: 'y' } }), false, /^model: /],
    ['runId', config(), true, /^runId: run run-1 has no checkpoint/],
  ] as const)('rejects bad input in the %s field: error event, exit 2', async (field, runConfig, resume, message) => {
    const t = new Trainer();
    await t.waitFor('ready');
    t.start(runConfig, mkdtempSync(join(tmpdir(), 'trainer-')), resume);
    expect(await t.waitFor('error')).toMatchObject({ field, message: expect.stringMatching(message) });
    expect(await t.exited).toBe(2);
  });

  it('falls back to wasm where the native kernels are not built, and says why', async () => {
    const t = new Trainer({ HPC_STUDIO_NATIVE_KERNELS: '/nowhere/hpc-kernels.node' });
    const ready = await t.waitFor('ready');
    expect(ready.backend.name).toBe('wasm');
    expect(ready.backend.skipped).toContainEqual({ name: 'hpc-native', reason: 'HPC_STUDIO_NATIVE_KERNELS names /nowhere/hpc-kernels.node, which does not exist' });
  });

  it('exits 1 with the reason on stderr when it cannot work at all (a forced backend that is absent)', async () => {
    const t = new Trainer({ HPC_STUDIO_BACKEND: 'tensorflow' });
    expect(await t.exited).toBe(1);
    expect(t.stderr).toMatch(/HPC_STUDIO_BACKEND=tensorflow cannot be used: not installed/);
    expect(t.events).toEqual([]);
  });
});
