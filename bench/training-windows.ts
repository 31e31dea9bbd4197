import { performance } from 'node:perf_hooks';
import { DEFAULT_FASHION_MNIST_DIR, type RunConfig } from '../shared/run-config.js';
import type { Dataset } from '../trainer/data/dataset.js';
import { createModel } from '../trainer/models/create-model.js';
import { createOptimizer } from '../trainer/optimizers/create-optimizer.js';
import { TrainingControl } from '../trainer/training-control.js';
import { freshPosition, TrainingLoop } from '../trainer/training-loop.js';

/** How one side is timed: `windows` back-to-back windows of `windowSamples` after `warmupSamples` not timed. */
export interface WindowPlan {
  batchSize: number;
  warmupSamples: number;
  windowSamples: number;
  windows: number;
}

export interface TimedWindow {
  samples: number;
  seconds: number;
}

/**
 * Times HPC Studio's own TrainingLoop in this process, on the current TensorFlow.js backend: the
 * loop the trainer child runs, less the child's IPC. Windows are cut at step events, timed with
 * the loop's own clock (performance.now), and the run is stopped after the last one, so no
 * validation or test pass falls inside. Checkpoints are not written (the app writes one every 30 s).
 */
export async function timeTrainingLoop(dataset: Dataset, model: 'mlp' | 'cnn', plan: WindowPlan, onWindow: () => void = () => {}): Promise<{ windows: TimedWindow[]; lastLoss: number }> {
  // The first window starts at a step event, so at least one batch runs before it.
  if (plan.warmupSamples === 0 || plan.warmupSamples % plan.batchSize || plan.windowSamples % plan.batchSize) {
    throw new Error(`warm-up (${plan.warmupSamples}) and window (${plan.windowSamples}) must be whole batches of ${plan.batchSize}, the warm-up at least one`);
  }
  const needed = plan.warmupSamples + plan.windows * plan.windowSamples;
  if (needed > dataset.train.count) throw new Error(`the plan needs ${needed} samples; the training split has ${dataset.train.count}`);
  const config: RunConfig = {
    dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
    model, epochs: 1, batchSize: plan.batchSize, lr: 0.001, optimizer: 'adam', seed: 42,
  };
  const network = createModel(model, dataset.info, config.seed);
  const optimizer = createOptimizer(config.optimizer, network.variables, config.lr);
  const control = new TrainingControl();
  const marks: number[] = [];
  let lastLoss = NaN;
  await new TrainingLoop({
    config, dataset, model: network, optimizer, control,
    position: freshPosition(config),
    now: () => performance.now(),
    saveCheckpoint: async () => '',
    emit: (event) => {
      if (event.type !== 'step' || event.samplesSeen !== plan.warmupSamples + marks.length * plan.windowSamples) return;
      marks.push(event.time);
      lastLoss = event.loss;
      if (marks.length > 1) onWindow();
      if (marks.length > plan.windows) control.stop();
    },
  }).run();
  network.variables.forEach((v) => v.dispose());
  optimizer.dispose();
  return {
    windows: marks.slice(1).map((end, i) => ({ samples: plan.windowSamples, seconds: (end - marks[i]!) / 1000 })),
    lastLoss,
  };
}
