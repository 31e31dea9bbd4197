import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../shared/run-config.js';
import type { TrainerEvent } from '../shared/trainer-protocol.js';
import type { TrainingPosition } from './checkpoint.js';
import { weightsInOriginalUnits } from './data/csv-dataset.js';
import type { Dataset, Split } from './data/dataset.js';
import type { Model, ParameterHook } from './models/model.js';
import { configuredLr, scheduledLr, type SchedulePoint } from './lr-schedule.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { epochOrder } from '../shared/seeded-random.js';
import { DEFAULT_MICRO_BATCHES, shardOf } from '../shared/distributed.js';
import type { HyperparamChange, TrainerEventOf } from '../shared/trainer-protocol.js';
import { GradientBuckets } from './distributed/gradient-buckets.js';
import { AGREEMENT_LENGTH, readAgreement, writeAgreement, type LeaderDecision } from './distributed/leader-decision.js';
import type { PipelineStage } from './distributed/pipeline-stage.js';
import { RingReformed } from './distributed/ring-reformed.js';
import type { PeerGroup } from './distributed/peer-group.js';
import type { TrainingControl } from './training-control.js';
import { softmaxCrossEntropy } from './kernels/softmax-cross-entropy.js';
import { distillationLoss } from './distillation-loss.js';
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
  /**
   * Set when this loop is one peer of a data-parallel run: every peer walks the same batches,
   * trains on its shard of each, and all apply the averaged gradient; rank 0 leads (commands
   * reach it, and it writes the checkpoints).
   */
  peers?: PeerGroup;
  /**
   * Set when this loop is one stage of a model-parallel run: it holds some of the model's layers,
   * every stage walks the same batches through the pipeline, and rank 0 leads as above.
   */
  pipeline?: PipelineStage;
  /** A distilled run's teacher: the student learns from its logits as well as from the labels. */
  teacher?: Model;
}

interface StepResult {
  loss: number;
  correct: number;
  exchange?: TrainerEventOf<'step'>['exchange'];
  distillation?: TrainerEventOf<'step'>['distillation'];
}

/** Besides the loss and the hits, a distilled step's two parts of its loss (kept out of every tidy). */
interface Gradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  hits: tf.Scalar;
  parts?: [hardLoss: tf.Scalar, softLoss: tf.Scalar];
}

const EVAL_BATCH = 1000;
const THROUGHPUT_SMOOTHING = 0.1;

export function freshPosition(config: RunConfig): TrainingPosition {
  const { distillation } = config;
  return {
    step: 0, epoch: 1, epochOffset: 0, samplesSeen: 0, lr: config.lr, batchSize: config.batchSize,
    elapsedMs: 0, epochLossSum: 0, epochCorrect: 0, epochCount: 0,
    ...(distillation ? { distillation: { temperature: distillation.temperature, alpha: distillation.alpha } } : {}),
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
  private buckets: GradientBuckets | null = null;
  /** The leader's decision that came with the last step's exchange, applied before the next. */
  private agreed: LeaderDecision | null = null;
  private lastCheckpointAt = 0;

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
    const { dataset, emit } = this.o;
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
    // A peer lost mid-exchange: the ring is formed again, every peer is brought to the same
    // position, and training goes on from there (the position says what comes next).
    for (;;) {
      try {
        return await this.trainFromPosition();
      } catch (error) {
        if (!(error instanceof RingReformed)) throw error;
      }
    }
  }

  /** Brings this loop to a position another peer sent (after a ring formed again). */
  adopt(position: TrainingPosition): void {
    Object.assign(this.pos, position);
    this.o.optimizer.lr = position.lr;
    this.agreed = null;
  }

  private async trainFromPosition(): Promise<'done' | 'stopped'> {
    const { config, dataset, emit } = this.o;
    const train = dataset.train;
    this.lastCheckpointAt = this.now();
    while (this.pos.epoch <= config.epochs) {
      const order = epochOrder(train.count, config.seed, this.pos.epoch);
      while (this.pos.epochOffset < train.count) {
        if (await this.betweenSteps()) return this.stopped();
        this.pos.lr = this.o.optimizer.lr = scheduledLr(config, this.schedulePoint(), this.pos.lrAnchor);
        const started = this.now();
        const size = Math.min(this.pos.batchSize, train.count - this.pos.epochOffset);
        const { loss, correct, exchange, distillation } = this.o.peers
          ? await this.peerStep(this.o.peers, order, this.pos.epochOffset, size)
          : this.o.pipeline
            ? await this.pipelineStep(this.o.pipeline, order, this.pos.epochOffset, size)
            : await this.memory.step(() => this.trainStep(order, this.pos.epochOffset, size));
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
          exchange,
          distillation,
        });
        this.memory.afterStep(this.pos.step, this.remainingSamples() === 0);
        // Peers checkpoint at the step their leader says, so every stage of a pipeline takes part.
        if (this.group ? this.agreed?.checkpoint : this.checkpointDue()) await this.checkpoint();
        // Let commands (pause, stop, a new LR) arrive between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const stopEarly = await this.endEpoch();
      await this.checkpoint();
      if (stopEarly) break;
    }
    await this.finish();
    return 'done';
  }

  /** Applies pending commands; true when the run should stop now. */
  private async betweenSteps(): Promise<boolean> {
    if (this.group) return this.applyLeaderDecision(this.group);
    const { control } = this.o;
    if (control.pauseRequested) {
      this.emitPause('paused');
      await control.waitWhilePaused();
      if (!control.stopRequested) this.emitPause('resumed');
    }
    if (control.stopRequested) return true;
    const change = control.takeChange();
    if (change) this.applyChange(change);
    return false;
  }

  /** A peer's between-steps: what the leader decided, at the same step on every peer. */
  private async applyLeaderDecision(peers: PeerGroup): Promise<boolean> {
    const decision = this.agreed;
    this.agreed = null;
    if (!decision) return false;
    if (decision.pause) {
      this.emitPause('paused');
      const leader = peers.rank === 0;
      if (leader) await this.o.control.waitWhilePaused();
      // Every peer waits here for the leader's resume (or stop), however long the pause.
      const stop = new Float32Array([leader && this.o.control.stopRequested ? 1 : 0]);
      await peers.allReduceSum(stop, true);
      if (stop[0]! > 0) return true;
      this.emitPause('resumed');
    }
    if (decision.stop) return true;
    if (decision.change) this.applyChange(decision.change);
    if (decision.regroup && peers.regroup) {
      await peers.regroup();
      throw new RingReformed('a new ring took in a joining peer');
    }
    return false;
  }

  private emitPause(type: 'paused' | 'resumed'): void {
    this.o.emit({ type, time: this.now(), step: this.pos.step });
  }

  private applyChange(change: HyperparamChange): void {
    if (change.lr !== undefined) {
      this.pos.lrAnchor = { lr: change.lr, scheduledLr: configuredLr(this.o.config, this.schedulePoint()) };
      this.pos.lr = this.o.optimizer.lr = change.lr;
    }
    if (change.batchSize !== undefined) {
      const trainSize = this.o.dataset.train.count;
      if (change.batchSize > trainSize) {
        this.o.emit({ type: 'log', time: this.now(), level: 'warn', message: `batchSize ${change.batchSize} is larger than the training set; using ${trainSize}` });
      }
      this.pos.batchSize = Math.min(change.batchSize, trainSize);
    }
    const distillation = this.pos.distillation;
    if (change.temperature !== undefined || change.alpha !== undefined) {
      if (distillation) {
        distillation.temperature = change.temperature ?? distillation.temperature;
        distillation.alpha = change.alpha ?? distillation.alpha;
      } else {
        this.o.emit({ type: 'log', time: this.now(), level: 'warn', message: 'temperature and alpha apply only to a distilled run; ignored' });
      }
    }
    this.o.emit({ type: 'hyperparams', time: this.now(), step: this.pos.step + 1, lr: this.pos.lr, batchSize: this.pos.batchSize, ...distillation });
  }

  private trainStep(order: Uint32Array, offset: number, size: number): StepResult {
    const { model, optimizer } = this.o;
    return tf.tidy(() => {
      const { x, y } = this.batch(this.o.dataset.train, order, offset, size);
      const { value, grads, hits, parts } = this.gradients(x, y);
      optimizer.apply(model.variables.map((v) => grads[v.name]!));
      const [loss, correct, hardLoss, softLoss] = tf.stack([value, hits, ...(parts ?? [])]).dataSync();
      tf.dispose([hits, ...(parts ?? [])]);
      const distillation = parts && { hardLoss: hardLoss!, softLoss: softLoss!, ...this.pos.distillation! };
      return { loss: loss! * this.lossScale, correct: correct!, distillation };
    });
  }

  /**
   * One data-parallel step: this peer's gradients on its shard of the global batch, weighted by
   * the shard's share, summed with every other peer's while the backward pass goes on (bucket by
   * bucket, the last layers' first), then the same update on every peer. The leader's commands
   * ride along in the last bucket.
   */
  private async peerStep(peers: PeerGroup, order: Uint32Array, offset: number, size: number): Promise<StepResult> {
    const params = this.o.model.variables as tf.Variable[];
    const buckets = (this.buckets ??= new GradientBuckets(params, peers));
    const shard = shardOf(size, peers.rank, peers.worldSize);
    // A joining peer comes in at an epoch boundary: the leader says so with the epoch's last step.
    const decision = peers.rank === 0 ? this.takeLeaderDecision(offset + size >= this.o.dataset.train.count) : null;
    const started = performance.now();
    buckets.begin(shard.size / size);
    let times;
    if (shard.size === 0) {
      times = await buckets.finishEmpty(decision);
    } else {
      const [loss, correct] = await this.memory.step(() =>
        tf.tidy(() => {
          const { x, y } = this.batch(this.o.dataset.train, order, offset + shard.start, shard.size);
          const { value, hits } = this.gradients(x, y, buckets.hook);
          const result = tf.stack([value, hits]).dataSync();
          hits.dispose();
          return result;
        }),
      );
      times = await buckets.finish(loss! * (shard.size / size), correct!, decision);
    }
    tf.tidy(() => this.o.optimizer.apply(buckets.gradients()));
    const agreed = buckets.agreement;
    this.agreed = agreed.decision;
    const exchange = {
      samples: shard.size,
      computeMs: times.computed - started,
      commMs: times.summed - times.computed,
      overlapMs: Math.max(0, times.computed - times.firstSent),
    };
    return { loss: agreed.loss * this.lossScale, correct: agreed.hits, exchange };
  }

  private takeLeaderDecision(epochEnds: boolean): LeaderDecision {
    const { control } = this.o;
    return {
      stop: control.stopRequested,
      pause: control.pauseRequested,
      change: control.takeChange(),
      regroup: epochEnds && control.takeRegroup(),
      checkpoint: this.checkpointDue(),
    };
  }

  /**
   * One model-parallel step: the batch through the pipeline in micro-batches, then this stage's
   * update from its summed gradients; the loss (known on the last stage) and the leader's decision
   * reach every stage in one small exchange.
   */
  private async pipelineStep(pipeline: PipelineStage, order: Uint32Array, offset: number, size: number): Promise<StepResult> {
    const decision = pipeline.rank === 0 ? this.takeLeaderDecision(false) : null;
    const started = performance.now();
    const micros = this.o.config.distribution?.microBatches ?? DEFAULT_MICRO_BATCHES;
    const step = await pipeline.trainStep(size, micros, (start, n) => this.batch(this.o.dataset.train, order, offset + start, n), (output, y) => this.lossAndHits(output, y));
    const updateStarted = performance.now();
    tf.tidy(() => this.o.optimizer.apply(step.grads));
    tf.dispose(step.grads);
    const busyMs = step.busyMs + performance.now() - updateStarted;
    const exchanged = new Float32Array(AGREEMENT_LENGTH);
    writeAgreement(exchanged, 0, step.loss, step.hits, decision);
    await pipeline.allReduceSum(exchanged);
    const agreed = readAgreement(exchanged, 0);
    this.agreed = agreed.decision;
    const wallMs = performance.now() - started;
    return { loss: agreed.loss * this.lossScale, correct: agreed.hits, exchange: { samples: size, computeMs: busyMs, commMs: Math.max(0, wallMs - busyMs) } };
  }

  /** The peers this loop trains with, whichever way they split the work. */
  private get group(): PeerGroup | undefined {
    return this.o.peers ?? this.o.pipeline;
  }

  private checkpointDue(): boolean {
    return this.now() - this.lastCheckpointAt > (this.o.checkpointEveryMs ?? 30_000);
  }

  /**
   * The batch's loss and its gradient per parameter (each also handed to `hook`'s gradient when
   * given); `hits` and a distilled step's `parts` are kept out of every tidy, so the caller disposes them.
   */
  private gradients(x: tf.Tensor2D, y: tf.Tensor, hook?: ParameterHook): Gradients {
    let hits: tf.Scalar | undefined;
    let parts: Gradients['parts'];
    // Outside the gradient's tape: the teacher only predicts.
    const teacherLogits = this.o.teacher?.apply(x);
    const { value, grads } = tf.variableGrads(() => {
      const output = hook ? (this.o.model.forward(x, hook) as tf.Tensor2D) : this.o.model.apply(x);
      if (teacherLogits) {
        const { temperature, alpha } = this.pos.distillation!;
        const result = distillationLoss(output, teacherLogits, y as tf.Tensor1D, temperature, alpha);
        hits = tf.keep(result.hits);
        parts = [tf.keep(result.hardLoss), tf.keep(result.softLoss)];
        return result.loss;
      }
      const result = this.lossAndHits(output, y);
      hits = tf.keep(result.hits);
      return result.loss;
    }, this.o.model.variables as tf.Variable[]);
    teacherLogits?.dispose();
    return { value, grads, hits: hits!, parts };
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

  /**
   * Mean loss and accuracy over a split, in batches; reports progress when asked. Peers each
   * evaluate their shard of the split and sum their totals.
   */
  private async evaluate(split: Split, onProgress?: (done: number) => void): Promise<{ loss: number; accuracy?: number }> {
    if (this.o.pipeline) return this.evaluateThroughPipeline(this.o.pipeline, split, onProgress);
    const peers = this.o.peers;
    const part = peers ? shardOf(split.count, peers.rank, peers.worldSize) : { start: 0, size: split.count };
    let lossSum = 0;
    let correct = 0;
    for (let offset = part.start; offset < part.start + part.size; offset += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, part.start + part.size - offset);
      const [loss, hits] = tf.tidy(() => {
        const { x, y } = this.batch(split, null, offset, size);
        const { loss, hits } = this.lossAndHits(this.o.model.apply(x), y);
        return tf.stack([loss, hits]).dataSync();
      });
      lossSum += loss! * size;
      correct += hits!;
      onProgress?.(Math.min(split.count, (offset + size - part.start) * (peers?.worldSize ?? 1)));
    }
    if (peers) {
      const totals = new Float32Array([lossSum, correct]);
      await peers.allReduceSum(totals);
      [lossSum, correct] = [totals[0]!, totals[1]!];
    }
    return this.totalsOf(split, lossSum, correct);
  }

  /** Every batch of the split through the stages; the last stage's totals reach every stage. */
  private async evaluateThroughPipeline(pipeline: PipelineStage, split: Split, onProgress?: (done: number) => void): Promise<{ loss: number; accuracy?: number }> {
    const batches = [];
    for (let offset = 0; offset < split.count; offset += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, split.count - offset);
      batches.push({ size, read: () => this.batch(split, null, offset, size) });
    }
    const { lossSum, hits } = await pipeline.evaluate(batches, (output, y) => this.lossAndHits(output, y), onProgress);
    const totals = new Float32Array([lossSum, hits]);
    await pipeline.allReduceSum(totals);
    return this.totalsOf(split, totals[0]!, totals[1]!);
  }

  private totalsOf(split: Split, lossSum: number, correct: number): { loss: number; accuracy?: number } {
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
    const validation = await this.evaluate(this.o.dataset.validation);
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
    const testStarted = performance.now();
    const test = await this.evaluate(dataset.test, (done) =>
      emit({ type: 'progress', time: this.now(), phase: 'evaluate', done, total: dataset.test.count }),
    );
    const testSamplesPerSec = dataset.test.count / (Math.max(1e-3, performance.now() - testStarted) / 1000);
    await this.checkpoint();
    emit({
      type: 'done',
      time: this.now(),
      step: this.pos.step,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      weights: dataset.standardisation ? await this.learnedWeights() : undefined,
      testSamplesPerSec,
    });
  }

  private async learnedWeights(): Promise<Record<string, number>> {
    const [w, b] = this.o.model.variables;
    const weights = (await w!.data()) as Float32Array;
    const bias = ((await b!.data()) as Float32Array)[0]!;
    return weightsInOriginalUnits(weights, bias, this.o.dataset.info.featureNames ?? [], this.o.dataset.standardisation!);
  }

  private async checkpoint(): Promise<string> {
    this.lastCheckpointAt = this.now();
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
