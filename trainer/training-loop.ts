import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../shared/run-config.js';
import type { TrainerEvent } from '../shared/trainer-protocol.js';
import type { TrainingPosition } from './checkpoint.js';
import { weightsInOriginalUnits } from './data/csv-dataset.js';
import type { Dataset, Split } from './data/dataset.js';
import type { Model } from './models/model.js';
import { configuredLr, scheduledLr, type SchedulePoint } from './lr-schedule.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { epochOrder } from '../shared/seeded-random.js';
import type { TrainingControl } from './training-control.js';
import { softmaxCrossEntropy } from './kernels/softmax-cross-entropy.js';
import { TensorMemoryReport } from './tensor-memory-report.js';
import { afterValidation } from './validation-tracker.js';

/** Where the loop's events go; it does not know or care (a process channel, a test, a benchmark). */
export type EmitEvent = (event: TrainerEvent) => void;
/** Saves the model, optimizer and position as the latest checkpoint or as the best one; returns the file written. */
export type SaveCheckpoint = (position: TrainingPosition, which?: 'latest' | 'best') => Promise<string>;

export interface TrainingLoopOptions {
  config: RunConfig;
  dataset: Dataset;
  model: Model;
  optimizer: Optimizer;
  control: TrainingControl;
  emit: EmitEvent;
  saveCheckpoint: SaveCheckpoint;
  /** Where to continue from; a fresh run starts at epoch 1, offset 0. */
  position: TrainingPosition;
  resumedFromStep?: number;
  now?: () => number;
  checkpointEveryMs?: number;
}

const EVAL_BATCH = 1000;
const THROUGHPUT_SMOOTHING = 0.1;

export function freshPosition(config: RunConfig): TrainingPosition {
  return {
    step: 0, epoch: 1, epochOffset: 0, samplesSeen: 0, lr: config.lr, batchSize: config.batchSize,
    elapsedMs: 0, epochLossSum: 0, epochCorrect: 0, epochCount: 0,
  };
}

/**
 * The training loop: one batch per step at the scheduled lr, commands applied between steps,
 * validation each epoch (keeping the best epoch's checkpoint, stopping early when asked), the
 * test set at the end. Seeded shuffles make the same seed give the same curve.
 */
export class TrainingLoop {
  private readonly pos: TrainingPosition;
  private readonly now: () => number;
  private readonly classification: boolean;
  private readonly lossScale: number;
  private samplesPerSec = 0;
  private readonly memory: TensorMemoryReport;
  private rows = new Float32Array(0);
  private labels: Int32Array | Float32Array = new Int32Array(0);

  constructor(private readonly o: TrainingLoopOptions) {
    this.pos = { ...o.position };
    this.now = o.now ?? Date.now;
    this.classification = o.dataset.info.task === 'classification';
    const std = o.dataset.standardisation?.targetStd ?? 1;
    this.lossScale = this.classification ? 1 : std * std;
    // A checkpoint from before schedules carries a live change only as its lr.
    if (!this.pos.lrAnchor && this.pos.lr !== o.config.lr && !o.config.schedule && !o.config.warmupSteps) {
      this.pos.lrAnchor = { lr: this.pos.lr, scheduledLr: o.config.lr };
    }
    o.optimizer.lr = this.pos.lr;
    this.memory = new TensorMemoryReport(o.emit, this.now);
  }

  get position(): TrainingPosition {
    return { ...this.pos };
  }

  async run(): Promise<'done' | 'stopped'> {
    const { config, dataset, emit } = this.o;
    const train = dataset.train;
    emit({
      type: 'started',
      time: this.now(),
      dataset: dataset.info,
      totalSteps: this.pos.step + this.remainingSteps(),
      stepsPerEpoch: Math.ceil(train.count / this.pos.batchSize),
      resumedFromStep: this.o.resumedFromStep,
      elapsedMs: this.pos.elapsedMs,
    });
    let lastCheckpoint = this.now();
    while (this.pos.epoch <= config.epochs) {
      const order = epochOrder(train.count, config.seed, this.pos.epoch);
      while (this.pos.epochOffset < train.count) {
        if (await this.betweenSteps()) return this.stopped();
        this.pos.lr = this.o.optimizer.lr = scheduledLr(config, this.schedulePoint(), this.pos.lrAnchor);
        const started = this.now();
        const size = Math.min(this.pos.batchSize, train.count - this.pos.epochOffset);
        const { loss, correct } = await this.memory.step(() => this.trainStep(order, this.pos.epochOffset, size));
        const took = Math.max(1, this.now() - started);
        this.advance(size, loss, correct, took);
        emit({
          type: 'step',
          time: this.now(),
          step: this.pos.step,
          epoch: this.pos.epoch,
          epochProgress: this.pos.epochOffset / train.count,
          loss,
          accuracy: this.classification ? correct / size : undefined,
          lr: this.pos.lr,
          batchSize: this.pos.batchSize,
          samplesPerSec: this.samplesPerSec,
          samplesSeen: this.pos.samplesSeen,
          etaSec: this.remainingSamples() / Math.max(this.samplesPerSec, 1e-9),
        });
        this.memory.afterStep(this.pos.step, this.remainingSamples() === 0);
        if (this.now() - lastCheckpoint > (this.o.checkpointEveryMs ?? 30_000)) {
          await this.checkpoint();
          lastCheckpoint = this.now();
        }
        // Let commands (pause, stop, a new LR) arrive between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const stopEarly = await this.endEpoch();
      await this.checkpoint();
      lastCheckpoint = this.now();
      if (stopEarly) break;
    }
    await this.finish();
    return 'done';
  }

  /** Applies pending commands; true when the run should stop now. */
  private async betweenSteps(): Promise<boolean> {
    const { control, emit } = this.o;
    if (control.pauseRequested) {
      emit({ type: 'paused', time: this.now(), step: this.pos.step });
      await control.waitWhilePaused();
      if (!control.stopRequested) emit({ type: 'resumed', time: this.now(), step: this.pos.step });
    }
    if (control.stopRequested) return true;
    const change = control.takeChange();
    if (change) {
      if (change.lr !== undefined) {
        this.pos.lrAnchor = { lr: change.lr, scheduledLr: configuredLr(this.o.config, this.schedulePoint()) };
        this.pos.lr = this.o.optimizer.lr = change.lr;
      }
      if (change.batchSize !== undefined) {
        const trainSize = this.o.dataset.train.count;
        if (change.batchSize > trainSize) {
          emit({ type: 'log', time: this.now(), level: 'warn', message: `batchSize ${change.batchSize} is larger than the training set; using ${trainSize}` });
        }
        this.pos.batchSize = Math.min(change.batchSize, trainSize);
      }
      emit({ type: 'hyperparams', time: this.now(), step: this.pos.step + 1, lr: this.pos.lr, batchSize: this.pos.batchSize });
    }
    return false;
  }

  private trainStep(order: Uint32Array, offset: number, size: number): { loss: number; correct: number } {
    const { model, optimizer } = this.o;
    return tf.tidy(() => {
      const { x, y } = this.batch(this.o.dataset.train, order, offset, size);
      let correct: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const { loss, hits } = this.lossAndHits(model.apply(x), y);
        correct = tf.keep(hits);
        return loss;
      }, model.variables as tf.Variable[]);
      optimizer.apply(model.variables.map((v) => grads[v.name]!));
      const [loss, hits] = tf.stack([value, correct!]).dataSync();
      correct!.dispose();
      return { loss: loss! * this.lossScale, correct: hits! };
    });
  }

  /** The batch's mean loss, and for classification how many it got right (0 for regression). */
  private lossAndHits(output: tf.Tensor2D, y: tf.Tensor): { loss: tf.Scalar; hits: tf.Scalar } {
    return this.classification ? softmaxCrossEntropy(output, y as tf.Tensor1D) : { loss: tf.losses.meanSquaredError(y, output), hits: tf.scalar(0) };
  }

  private batch(split: Split, order: Uint32Array | null, offset: number, size: number): { x: tf.Tensor2D; y: tf.Tensor } {
    const fs = this.o.dataset.featureSize;
    // Rows are gathered into buffers reused from batch to batch: each batch's tensors are disposed
    // before the next is gathered (the cpu backend keeps the array itself rather than a copy).
    if (this.rows.length < size * fs) {
      this.rows = new Float32Array(size * fs);
      this.labels = this.classification ? new Int32Array(size) : new Float32Array(size);
    }
    const x = this.rows.subarray(0, size * fs);
    const labels = this.labels.subarray(0, size);
    for (let i = 0; i < size; i++) {
      const row = order ? order[offset + i]! : offset + i;
      x.set(split.x.subarray(row * fs, (row + 1) * fs), i * fs);
      labels[i] = split.y[row]!;
    }
    return {
      x: tf.tensor2d(x, [size, fs]),
      y: this.classification ? tf.tensor1d(labels as Int32Array, 'int32') : tf.tensor2d(labels, [size, 1]),
    };
  }

  /** Mean loss and accuracy over a split, in batches; reports progress when asked. */
  private evaluate(split: Split, onProgress?: (done: number) => void): { loss: number; accuracy?: number } {
    let lossSum = 0;
    let correct = 0;
    for (let offset = 0; offset < split.count; offset += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, split.count - offset);
      const [loss, hits] = tf.tidy(() => {
        const { x, y } = this.batch(split, null, offset, size);
        const { loss, hits } = this.lossAndHits(this.o.model.apply(x), y);
        return tf.stack([loss, hits]).dataSync();
      });
      lossSum += loss! * size;
      correct += hits!;
      onProgress?.(offset + size);
    }
    return {
      loss: (lossSum / split.count) * this.lossScale,
      accuracy: this.classification ? correct / split.count : undefined,
    };
  }

  private advance(size: number, loss: number, correct: number, tookMs: number): void {
    const p = this.pos;
    p.step++;
    p.epochOffset += size;
    p.samplesSeen += size;
    p.elapsedMs += tookMs;
    p.epochLossSum += loss * size;
    p.epochCorrect += correct;
    p.epochCount += size;
    const rate = (size / tookMs) * 1000;
    this.samplesPerSec = this.samplesPerSec === 0 ? rate : this.samplesPerSec + THROUGHPUT_SMOOTHING * (rate - this.samplesPerSec);
  }

  /** Validates the epoch just trained; true when early stopping says to end the run here. */
  private async endEpoch(): Promise<boolean> {
    const p = this.pos;
    const { config, emit } = this.o;
    const validation = this.evaluate(this.o.dataset.validation);
    emit({
      type: 'epoch',
      time: this.now(),
      step: p.step,
      epoch: p.epoch,
      trainLoss: p.epochLossSum / Math.max(1, p.epochCount),
      trainAccuracy: this.classification ? p.epochCorrect / Math.max(1, p.epochCount) : undefined,
      valLoss: validation.loss,
      valAccuracy: validation.accuracy,
    });
    const finished = p.epoch;
    const verdict = afterValidation(p.validation, finished, validation.loss, config.earlyStopping);
    p.validation = verdict.state;
    p.epoch++;
    p.epochOffset = 0;
    p.epochLossSum = 0;
    p.epochCorrect = 0;
    p.epochCount = 0;
    if (verdict.newBest) await this.o.saveCheckpoint(this.position, 'best');
    if (!verdict.stop || finished >= config.epochs) return false;
    emit({
      type: 'early-stop',
      time: this.now(),
      step: p.step,
      epoch: finished,
      bestEpoch: verdict.state.bestEpoch,
      bestValLoss: verdict.state.bestValLoss,
      patience: config.earlyStopping!.patience,
    });
    return true;
  }

  private schedulePoint(): SchedulePoint {
    const total = this.o.config.epochs * this.o.dataset.train.count;
    return { step: this.pos.step, epoch: this.pos.epoch, progress: this.pos.samplesSeen / total };
  }

  private async finish(): Promise<void> {
    const { dataset, emit } = this.o;
    const test = this.evaluate(dataset.test, (done) =>
      emit({ type: 'progress', time: this.now(), phase: 'evaluate', done, total: dataset.test.count }),
    );
    await this.checkpoint();
    emit({
      type: 'done',
      time: this.now(),
      step: this.pos.step,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      weights: dataset.standardisation ? await this.learnedWeights() : undefined,
    });
  }

  private async learnedWeights(): Promise<Record<string, number>> {
    const [w, b] = this.o.model.variables;
    const weights = (await w!.data()) as Float32Array;
    const bias = ((await b!.data()) as Float32Array)[0]!;
    return weightsInOriginalUnits(weights, bias, this.o.dataset.info.featureNames ?? [], this.o.dataset.standardisation!);
  }

  private async checkpoint(): Promise<string> {
    const file = await this.o.saveCheckpoint(this.position);
    this.o.emit({ type: 'checkpoint', time: this.now(), step: this.pos.step, epoch: this.pos.epoch, file });
    return file;
  }

  private async stopped(): Promise<'stopped'> {
    const file = await this.checkpoint();
    this.o.emit({ type: 'stopped', time: this.now(), step: this.pos.step, checkpoint: file });
    return 'stopped';
  }

  private remainingSamples(): number {
    const n = this.o.dataset.train.count;
    return Math.max(0, (this.o.config.epochs - this.pos.epoch) * n + (n - this.pos.epochOffset));
  }

  private remainingSteps(): number {
    const n = this.o.dataset.train.count;
    const inEpoch = Math.ceil((n - this.pos.epochOffset) / this.pos.batchSize);
    return Math.max(0, (this.o.config.epochs - this.pos.epoch) * Math.ceil(n / this.pos.batchSize) + inEpoch);
  }
}
