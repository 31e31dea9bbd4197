import * as tf from '@tensorflow/tfjs-core';
import type { ParameterHook } from '../models/model.js';
import { AGREEMENT_LENGTH, readAgreement, writeAgreement, type LeaderDecision, type StepAgreement } from './leader-decision.js';
import type { PeerGroup } from './peer-group.js';

/** Gradients go to the all-reduce in buckets of at least this many values (128 KB), as PyTorch DDP buckets them. */
export const BUCKET_ELEMENTS = 32 * 1024;

/** A run of the exchange buffer that goes to the all-reduce as one: `[start, end)`, holding `params`' gradients. */
export interface BucketPlan {
  start: number;
  end: number;
  params: number[];
}

/**
 * Buckets in the order a backward pass completes them: parameters from the last to the first,
 * each bucket at least `bucketElements` values; the last bucket also holds the loss, hits and
 * decision. `offsets[i]` is where parameter i's gradient goes.
 */
export function planBuckets(sizes: readonly number[], bucketElements = BUCKET_ELEMENTS): { buckets: BucketPlan[]; offsets: number[] } {
  const buckets: BucketPlan[] = [];
  const offsets: number[] = [];
  let bucket: BucketPlan = { start: 0, end: 0, params: [] };
  let at = 0;
  for (let i = sizes.length - 1; i >= 0; i--) {
    offsets[i] = at;
    bucket.params.push(i);
    at += sizes[i]!;
    if (at - bucket.start >= bucketElements && i > 0) {
      buckets.push({ ...bucket, end: at });
      bucket = { start: at, end: at, params: [] };
    }
  }
  buckets.push({ ...bucket, end: at + AGREEMENT_LENGTH });
  return { buckets, offsets };
}

interface Bucket extends BucketPlan {
  /** Parameters of this bucket whose gradient has not been written this step. */
  waiting: number;
}

/** When a step's exchange ran, on this peer's clock (performance.now()). */
export interface ExchangeTimes {
  /** The first bucket went to the all-reduce. */
  firstSent: number;
  /** The backward pass ended and the last bucket went. */
  computed: number;
  /** Every bucket is summed. */
  summed: number;
}

/**
 * One data-parallel step's exchange, overlapped with the backward pass as PyTorch DDP does it:
 * every parameter passes through an identity (`hook`) whose gradient function writes the
 * parameter's gradient, weighted by this peer's share of the global batch, into its place in one
 * shared buffer the moment the backward pass has it. The buffer is laid out in buckets in the
 * order the backward pass completes them (the last layers first), and each full bucket goes to the
 * all-reduce at once, summing on the peers' ring while the earlier layers' gradients are still being
 * computed. The last bucket also carries the loss, hits and the leader's decision for the next step,
 * so commands reach every peer at the same step without a message of their own.
 */
export class GradientBuckets {
  /** On a SharedArrayBuffer, so a ring on another thread sums buckets in place while this one computes. */
  readonly data: Float32Array;
  private readonly offsets: number[];
  private readonly bucketOf: number[] = [];
  private readonly buckets: Bucket[];
  private readonly identities: ((x: tf.Tensor) => tf.Tensor)[];
  private weight = 1;
  private nextToSend = 0;
  private sums: Promise<void>[] = [];
  private firstSent = 0;

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly peers: PeerGroup,
    bucketElements = BUCKET_ELEMENTS,
  ) {
    const plan = planBuckets(params.map((p) => p.size), bucketElements);
    this.offsets = plan.offsets;
    this.buckets = plan.buckets.map((b, i) => {
      for (const p of b.params) this.bucketOf[p] = i;
      return { ...b, waiting: 0 };
    });
    this.data = new Float32Array(new SharedArrayBuffer(this.buckets.at(-1)!.end * 4));
    this.identities = params.map((_, i) =>
      tf.customGrad((...inputs) => ({
        value: tf.clone(inputs[0] as tf.Tensor),
        gradFunc: (dy: tf.Tensor) => {
          this.received(i, dy);
          return dy;
        },
      })),
    );
  }

  /** How many buckets a step sends. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** Pass each parameter through this in the forward pass of a step begun with `begin`. */
  readonly hook: ParameterHook = (variable, index) => this.identities[index]!(variable);

  /** A new step, this peer's gradients weighted by `weight` (its shard ÷ the global batch). */
  begin(weight: number): void {
    this.weight = weight;
    this.nextToSend = 0;
    this.sums = [];
    this.firstSent = 0;
    for (const bucket of this.buckets) bucket.waiting = bucket.params.length;
  }

  /**
   * After the backward pass: the loss and hits (already weighted and counted), the leader's decision,
   * and whatever buckets are left go; resolves once every bucket is summed on every peer.
   */
  async finish(loss: number, hits: number, decision: LeaderDecision | null): Promise<ExchangeTimes> {
    writeAgreement(this.data, this.tail, loss, hits, decision);
    this.send(this.buckets.length);
    const computed = performance.now();
    await Promise.all(this.sums);
    return { firstSent: this.firstSent || computed, computed, summed: performance.now() };
  }

  /** A peer with no samples in this batch (the last, short batch of an epoch) still takes part, with zeros. */
  finishEmpty(decision: LeaderDecision | null): Promise<ExchangeTimes> {
    this.data.fill(0, 0, this.tail);
    return this.finish(0, 0, decision);
  }

  /** After the exchange: the global batch's mean gradient per parameter, as tensors. */
  gradients(): tf.Tensor[] {
    return this.params.map((p, i) => tf.tensor(this.data.subarray(this.offsets[i]!, this.offsets[i]! + p.size), p.shape, 'float32'));
  }

  /** After the exchange: the global batch's loss and hits, and the leader's decision. */
  get agreement(): StepAgreement {
    return readAgreement(this.data, this.tail);
  }

  private get tail(): number {
    return this.data.length - AGREEMENT_LENGTH;
  }

  private received(index: number, grad: tf.Tensor): void {
    const values = grad.dataSync() as Float32Array;
    const at = this.offsets[index]!;
    for (let j = 0; j < values.length; j++) this.data[at + j] = values[j]! * this.weight;
    const b = this.bucketOf[index]!;
    this.buckets[b]!.waiting--;
    // The last bucket waits for the tail; the others go as soon as they and those before them are full.
    let ready = this.nextToSend;
    while (ready < this.buckets.length - 1 && this.buckets[ready]!.waiting === 0) ready++;
    this.send(ready);
  }

  /** Sends buckets up to (not including) `upTo`, in order: every peer sums the same buckets in the same order. */
  private send(upTo: number): void {
    for (; this.nextToSend < upTo; this.nextToSend++) {
      const { start, end } = this.buckets[this.nextToSend]!;
      this.firstSent ||= performance.now();
      const sum = this.peers.allReduceSum(this.data.subarray(start, end));
      // A loss may reject it while this thread still computes; `finish` reports it.
      sum.catch(() => {});
      this.sums.push(sum);
    }
  }
}
