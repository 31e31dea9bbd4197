import { performance } from 'node:perf_hooks';
import { DEFAULT_FASHION_MNIST_DIR, type RunConfig } from '../shared/run-config.js';
import type { TrainerEvent } from '../shared/trainer-protocol.js';
import type { Dataset } from '../trainer/data/dataset.js';
import { createModel } from '../trainer/models/create-model.js';
import { createOptimizer } from '../trainer/optimizers/create-optimizer.js';
import { TrainingControl } from '../trainer/training-control.js';
import { freshPosition, TrainingLoop, type EmitEvent } from '../trainer/training-loop.js';
import { StepWindow, type StepTimedWindow } from './step-window.js';

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
  const control = new TrainingControl();
  const marks: number[] = [];
  let lastLoss = NaN;
  await runBenchLoop(dataset, model, plan.batchSize, control, (event) => {
    if (event.type !== 'step' || event.samplesSeen !== plan.warmupSamples + marks.length * plan.windowSamples) return;
    marks.push(event.time);
    lastLoss = event.loss;
    if (marks.length > 1) onWindow();
    if (marks.length > plan.windows) control.stop();
  });
  return {
    windows: marks.slice(1).map((end, i) => ({ samples: plan.windowSamples, seconds: (end - marks[i]!) / 1000 })),
    lastLoss,
  };
}

/** The run every bench side trains: Fashion-MNIST, Adam at lr 0.001, seed 42, one epoch. */
export function benchRunConfig(model: 'mlp' | 'cnn', batchSize: number, epochs = 1): RunConfig {
  return {
    dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
    model, epochs, batchSize, lr: 0.001, optimizer: 'adam', seed: 42,
  };
}

/** Runs the app's TrainingLoop on `dataset` until it ends or `control` stops it, timed by performance.now. */
async function runBenchLoop(dataset: Dataset, model: 'mlp' | 'cnn', batchSize: number, control: TrainingControl, emit: EmitEvent, epochs = 1): Promise<void> {
  const config = benchRunConfig(model, batchSize, epochs);
  const network = createModel(model, dataset.info, config.seed);
  const optimizer = createOptimizer(config.optimizer, network.variables, config.lr);
  try {
    await new TrainingLoop({
      config, dataset, model: network, optimizer, control, emit,
      position: freshPosition(config),
      now: () => performance.now(),
      saveCheckpoint: async () => '',
    }).run();
  } finally {
    network.variables.forEach((v) => v.dispose());
    optimizer.dispose();
  }
}

/**
 * The same bare loop run window by window, paused in between so that something else can have the
 * cores: each window resumes it, is cut from its step events by a StepWindow, and ends once the
 * loop has paused again. It starts paused.
 */
export class PausableTrainingLoop {
  private readonly control = new TrainingControl();
  private readonly ended: Promise<void>;
  private current: { cut: StepWindow; timed: StepTimedWindow | null; resolve: (w: StepTimedWindow) => void } | null = null;
  private loss = NaN;
  private stepsTaken = 0;

  /** `epochs`: as many as the windows may need; a window holding an epoch's end says so. */
  constructor(dataset: Dataset, model: 'mlp' | 'cnn', batchSize: number, epochs: number) {
    this.control.pause();
    this.ended = runBenchLoop(dataset, model, batchSize, this.control, (event) => this.observe(event), epochs);
  }

  get lastLoss(): number {
    return this.loss;
  }

  get steps(): number {
    return this.stepsTaken;
  }

  /** Resumes the loop for one window of at least `samples` after the first step, then pauses it. */
  window(samples: number): Promise<StepTimedWindow> {
    if (this.current) throw new Error('a window is already running');
    return new Promise((resolve) => {
      this.current = { cut: new StepWindow(samples), timed: null, resolve };
      this.control.resume();
    });
  }

  async stop(): Promise<void> {
    this.control.stop();
    await this.ended;
  }

  private observe(event: TrainerEvent): void {
    if (event.type === 'step') this.stepsTaken++;
    const current = this.current;
    if (!current) return;
    if (event.type === 'step' && !current.timed) {
      this.loss = event.loss;
      current.timed = current.cut.observe(event.samplesSeen, event.time, event.epoch);
      if (current.timed) this.control.pause();
    } else if (event.type === 'paused' && current.timed) {
      this.current = null;
      current.resolve(current.timed);
    }
  }
}
