import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR, type RunConfig } from '../../shared/run-config.js';
import type { TrainerEvent, TrainerEventOf } from '../../shared/trainer-protocol.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { BEST_CHECKPOINT_FILE, CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type TrainingPosition } from '../../trainer/checkpoint.js';
import { sliceSplit, type Dataset } from '../../trainer/data/dataset.js';
import { loadFashionMnist } from '../../trainer/data/fashion-mnist.js';
import { createModel } from '../../trainer/models/create-model.js';
import type { Model } from '../../trainer/models/model.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';
import { configuredLr } from '../../trainer/lr-schedule.js';
import { epochOrder } from '../../shared/seeded-random.js';
import { TrainingControl } from '../../trainer/training-control.js';
import { freshPosition, TrainingLoop } from '../../trainer/training-loop.js';
import { restore, snapshot } from '../../trainer/training-snapshot.js';

const CONFIG: RunConfig = {
  dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
  model: 'mlp', epochs: 2, batchSize: 32, lr: 0.002, optimizer: 'adam', seed: 5, limit: 240,
};

const TEST_SIZE = 1500;
let dataset: Dataset;

interface Run {
  events: TrainerEvent[];
  steps: TrainerEventOf<'step'>[];
  /** Live tensors counted as each step event went out. */
  tensorCounts: number[];
  checkpointDir: string;
}

/**
 * Trains in this process with a fresh model. `onStep` may drive the control between steps, as
 * commands from the host would; `resumeFrom` continues from the checkpoint in that folder.
 */
async function train(
  config: RunConfig,
  onStep: (step: number, control: TrainingControl) => void = () => {},
  resumeFrom?: string,
  wrapModel: (model: Model) => Model = (model) => model,
): Promise<Run> {
  const model = wrapModel(createModel(config.model, dataset.info, config.seed));
  const optimizer = createOptimizer(config.optimizer, model.variables, config.lr);
  let position: TrainingPosition = freshPosition(config);
  const saved = resumeFrom ? readCheckpoint(resumeFrom) : null;
  if (saved) {
    restore(model, optimizer, saved);
    position = saved.position;
  }
  const control = new TrainingControl();
  const run: Run = { events: [], steps: [], tensorCounts: [], checkpointDir: mkdtempSync(join(tmpdir(), 'loop-')) };
  await new TrainingLoop({
    config, dataset, model, optimizer, control, position,
    resumedFromStep: saved?.position.step,
    emit: (event) => {
      run.events.push(event);
      if (event.type !== 'step') return;
      run.steps.push(event);
      run.tensorCounts.push(tf.memory().numTensors);
      onStep(event.step, control);
    },
    saveCheckpoint: async (at, which) =>
      writeCheckpoint(run.checkpointDir, await snapshot('run-1', config, model, optimizer, at), which === 'best' ? BEST_CHECKPOINT_FILE : CHECKPOINT_FILE),
  }).run();
  model.variables.forEach((v) => v.dispose());
  optimizer.dispose();
  return run;
}

const ofType = <T extends TrainerEvent['type']>(run: Run, type: T) => run.events.filter((e): e is TrainerEventOf<T> => e.type === type);

beforeAll(async () => {
  // wasm: what this machine trains on, several times quicker than cpu, and just as repeatable.
  await chooseBackend('wasm');
  const full = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, CONFIG.limit, () => {});
  // A slice of the test set keeps each run's final evaluation quick.
  dataset = { ...full, test: sliceSplit(full.test, full.featureSize, 0, TEST_SIZE), info: { ...full.info, testSize: TEST_SIZE } };
});

describe('the training loop', () => {
  it('runs epochs of steps, validates each epoch, tests at the end, with the tensor count flat', async () => {
    const run = await train(CONFIG);
    const stepsPerEpoch = Math.ceil(dataset.train.count / CONFIG.batchSize);
    expect(run.events[0]).toMatchObject({ type: 'started', stepsPerEpoch, totalSteps: 2 * stepsPerEpoch, elapsedMs: 0 });
    expect(run.steps.map((s) => s.step)).toEqual(Array.from({ length: 2 * stepsPerEpoch }, (_, i) => i + 1));
    expect(run.steps.at(-1)).toMatchObject({ epoch: 2, epochProgress: 1, samplesSeen: 2 * dataset.train.count, etaSec: 0 });
    expect(ofType(run, 'epoch').map((e) => [e.epoch, e.step])).toEqual([[1, stepsPerEpoch], [2, 2 * stepsPerEpoch]]);
    const done = ofType(run, 'done')[0]!;
    expect(done.testAccuracy).toBeGreaterThan(0.5);
    expect(done.testAccuracy).toBeLessThanOrEqual(1);
    expect(ofType(run, 'progress').at(-1)).toMatchObject({ phase: 'evaluate', done: TEST_SIZE, total: TEST_SIZE });
    // Checkpoints at each epoch's end and at done.
    expect(ofType(run, 'checkpoint').map((c) => c.step)).toEqual([stepsPerEpoch, 2 * stepsPerEpoch, 2 * stepsPerEpoch]);
    expect(new Set(run.tensorCounts.slice(1)).size).toBe(1);
  });

  it('keeps the tensor count flat for the cnn too, and its loss falls', async () => {
    const run = await train({ ...CONFIG, model: 'cnn', epochs: 1, lr: 0.003 });
    expect(new Set(run.tensorCounts.slice(1)).size).toBe(1);
    const losses = run.steps.map((s) => s.loss);
    expect(Math.min(...losses.slice(-3))).toBeLessThan(losses[0]!);
  });

  it('repeats the same losses for the same seed, and not for another', async () => {
    const a = (await train({ ...CONFIG, epochs: 1 })).steps.map((s) => s.loss);
    expect((await train({ ...CONFIG, epochs: 1 })).steps.map((s) => s.loss)).toEqual(a);
    expect((await train({ ...CONFIG, epochs: 1, seed: 6 })).steps.map((s) => s.loss)).not.toEqual(a);
  });

  it('changes the batch size mid-epoch, keeping its place in the epoch by samples', async () => {
    const run = await train({ ...CONFIG, epochs: 1 }, (step, control) => {
      if (step === 2) control.change({ batchSize: 50, lr: 0.01 });
    });
    const n = dataset.train.count;
    expect(ofType(run, 'hyperparams')).toEqual([expect.objectContaining({ step: 3, lr: 0.01, batchSize: 50 })]);
    expect(run.steps.map((s) => [s.batchSize, s.lr])).toEqual([[32, 0.002], [32, 0.002], ...Array(run.steps.length - 2).fill([50, 0.01])]);
    const seen = run.steps.map((s) => s.samplesSeen);
    expect(seen.slice(0, 4)).toEqual([32, 64, 114, 164]);
    expect(seen.at(-1)).toBe(n);
    expect(run.steps.length).toBe(2 + Math.ceil((n - 64) / 50));
  });

  it('stops with a checkpoint, and a restored run continues exactly as an unbroken one', async () => {
    const unbroken = await train(CONFIG);
    const stopAt = 10; // mid-epoch 2
    const first = await train(CONFIG, (step, control) => step === stopAt && control.stop());
    expect(first.events.at(-1)).toMatchObject({ type: 'stopped', step: stopAt, checkpoint: join(first.checkpointDir, 'latest.ckpt') });
    expect(ofType(first, 'done')).toEqual([]);

    const resumed = await train(CONFIG, () => {}, first.checkpointDir);
    expect(resumed.events[0]).toMatchObject({ type: 'started', resumedFromStep: stopAt, totalSteps: unbroken.steps.length });
    expect(resumed.steps[0]!.step).toBe(stopAt + 1);
    expect(resumed.steps.map((s) => s.loss)).toEqual(unbroken.steps.slice(stopAt).map((s) => s.loss));
    expect(ofType(resumed, 'done')[0]!.testLoss).toBe(ofType(unbroken, 'done')[0]!.testLoss);
  });

  it('pauses between steps until resumed', async () => {
    let resumedAt = 0;
    const run = await train({ ...CONFIG, epochs: 1 }, (step, control) => {
      if (step !== 2) return;
      control.pause();
      setTimeout(() => ((resumedAt = Date.now()), control.resume()), 200);
    });
    const types = run.events.map((e) => (e.type === 'step' ? `step ${e.step}` : e.type));
    expect(types.slice(types.indexOf('step 2'), types.indexOf('step 2') + 4)).toEqual(['step 2', 'paused', 'resumed', 'step 3']);
    expect(run.steps[2]!.time).toBeGreaterThanOrEqual(resumedAt);
  });
});

describe('lr schedules, early stopping and the best checkpoint in the loop', () => {
  it('trains each step at the scheduled lr: warm-up, then cosine down to minLr', async () => {
    const config: RunConfig = { ...CONFIG, lr: 0.004, warmupSteps: 5, schedule: { kind: 'cosine', minLr: 0.0004 } };
    const run = await train(config);
    const n = dataset.train.count;
    const seenBefore = (i: number) => (i === 0 ? 0 : run.steps[i - 1]!.samplesSeen);
    const expected = run.steps.map((s, i) => configuredLr(config, { step: i, epoch: s.epoch, progress: seenBefore(i) / (2 * n) }));
    expect(run.steps.map((s) => s.lr)).toEqual(expected);
    expect(run.steps[0]!.lr).toBeCloseTo(0.004 / 5, 12);
    expect(run.steps[4]!.lr).toBeLessThan(0.004);
    expect(run.steps.at(-1)!.lr).toBeGreaterThan(0.0004);
    expect(run.steps.at(-1)!.lr).toBeLessThan(0.0005);
  });

  it('a live lr change rescales the schedule, and a stopped run resumes with the same lrs and losses', async () => {
    const config: RunConfig = { ...CONFIG, epochs: 3, schedule: { kind: 'step', everyEpochs: 1, gamma: 0.5 } };
    const change = (step: number, control: TrainingControl) => step === 3 && control.change({ lr: 0.001 });
    const unbroken = await train(config, change);
    const perEpoch = Math.ceil(dataset.train.count / config.batchSize);
    // Steps 1–3 at 0.002; the change lands at step 4 (×0.5 of the schedule), then each epoch halves it.
    expect(unbroken.steps.slice(0, 4).map((s) => s.lr)).toEqual([0.002, 0.002, 0.002, 0.001]);
    expect(unbroken.steps[perEpoch]!.lr).toBeCloseTo(0.0005, 15);
    expect(unbroken.steps[2 * perEpoch]!.lr).toBeCloseTo(0.00025, 15);

    const stopAt = perEpoch + 2;
    const first = await train(config, (step, control) => (change(step, control), step === stopAt && control.stop()));
    const resumed = await train(config, () => {}, first.checkpointDir);
    expect(resumed.steps.map((s) => [s.lr, s.loss])).toEqual(unbroken.steps.slice(stopAt).map((s) => [s.lr, s.loss]));
  });

  it('stops early when the validation loss stops improving, then tests and ends done', async () => {
    // No epoch can beat the first by more than minDelta: patience 1 runs out after epoch 2.
    const run = await train({ ...CONFIG, epochs: 6, earlyStopping: { patience: 1, minDelta: 100 } });
    const epochs = ofType(run, 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    const lowest = epochs.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    const early = ofType(run, 'early-stop');
    expect(early).toEqual([
      { type: 'early-stop', time: expect.any(Number), step: epochs[1]!.step, epoch: 2, bestEpoch: lowest.epoch, bestValLoss: lowest.valLoss, patience: 1 },
    ]);
    const types = run.events.map((e) => e.type);
    expect(types.indexOf('early-stop')).toBeLessThan(types.indexOf('done'));
    expect(run.events.at(-1)).toMatchObject({ type: 'done', step: epochs[1]!.step });
  });

  it('keeps the lowest-validation-loss epoch as best.ckpt beside latest.ckpt', async () => {
    // A high lr makes the validation loss wander, so the best epoch is often not the last.
    const run = await train({ ...CONFIG, epochs: 3, lr: 0.05, optimizer: 'sgd' });
    const epochs = ofType(run, 'epoch');
    const lowest = epochs.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    const best = readCheckpoint(run.checkpointDir, BEST_CHECKPOINT_FILE)!;
    expect(best.position.step).toBe(lowest.step);
    expect(best.position.validation).toMatchObject({ bestEpoch: lowest.epoch, bestValLoss: lowest.valLoss });
    expect(readCheckpoint(run.checkpointDir)!.position.step).toBe(epochs.at(-1)!.step);
  });
});

describe('the tensor-leak watch and memory readings in the loop', () => {
  // Batch 1 over 240 examples: enough steps for the leak rule's warm-up and three windows.
  const LONG: RunConfig = { ...CONFIG, epochs: 1, batchSize: 1 };

  /** The app's mlp, but each forward pass keeps one tensor alive: the classic forgotten tf.keep. */
  const leakOnePerStep = (model: Model): Model => ({
    ...model,
    apply: (x) => {
      tf.keep(tf.zeros([4]));
      return model.apply(x);
    },
  });

  it('reports one tensor-leak hint with its growth per step for a model that leaks a tensor each step', async () => {
    const run = await train(LONG, () => {}, undefined, leakOnePerStep);
    const hints = ofType(run, 'hint');
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatchObject({ kind: 'tensor-leak', step: 171 });
    expect(hints[0]!.evidence).toMatch(/^\+1\.00 tensors\/step \(\+16 B\/step\) over steps 21–171/);
    // The memory readings show the growth too.
    const memory = ofType(run, 'memory');
    expect(memory.at(-1)!.numTensors - memory[0]!.numTensors).toBe(run.steps.length - 1);
  });

  it('raises no hint for the normal mlp, and reports a flat tensor count with the in-step peak above it', async () => {
    const run = await train(LONG);
    expect(ofType(run, 'hint')).toEqual([]);
    const memory = ofType(run, 'memory');
    expect(memory[0]!.step).toBe(1);
    expect(memory.at(-1)!.step).toBe(run.steps.at(-1)!.step);
    expect(new Set(memory.map((m) => m.numTensors)).size).toBe(1);
    // Activations and gradients live only inside a step: the peak sits above the settled bytes.
    expect(memory.at(-1)!.peakStepBytes).toBeGreaterThan(memory.at(-1)!.numBytes);
    // At most one reading a second plus the first and last: never one per step.
    expect(memory.length).toBeLessThan(run.steps.length / 4);
  });
});

describe('seeded shuffles', () => {
  it('repeat for the same seed and epoch, differ across epochs, and are permutations', () => {
    expect(epochOrder(50, 7, 1)).toEqual(epochOrder(50, 7, 1));
    expect(epochOrder(50, 7, 1)).not.toEqual(epochOrder(50, 7, 2));
    expect([...epochOrder(50, 7, 1)].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });
});
