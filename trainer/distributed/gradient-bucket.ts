import * as tf from '@tensorflow/tfjs-core';
import type { HyperparamChange } from '../../shared/trainer-protocol.js';

/** What the leader (rank 0) decided between two steps; every peer applies it at the same step. */
export interface LeaderDecision {
  stop: boolean;
  pause: boolean;
  /** Every peer leaves this ring for a new one that takes in a joining peer. */
  regroup: boolean;
  change: HyperparamChange | null;
}

const TAIL = { loss: 0, hits: 1, stop: 2, pause: 3, lr: 4, batchSize: 5, regroup: 6 } as const;
const TAIL_LENGTH = 7;

/**
 * One step's exchange as one flat buffer, summed across peers by one all-reduce: every
 * parameter's gradient (each peer's weighted by its share of the global batch, so the sum is the
 * global batch's mean gradient), the loss and hits, and the leader's decision for the next step
 * (the other peers add zeros), so commands reach every peer at the same step without a message
 * of their own.
 */
export class GradientBucket {
  readonly data: Float32Array;
  private readonly offsets: number[] = [];

  constructor(private readonly params: readonly tf.Variable[]) {
    let length = 0;
    for (const p of params) {
      this.offsets.push(length);
      length += p.size;
    }
    this.offsets.push(length);
    this.data = new Float32Array(length + TAIL_LENGTH);
  }

  private get tail(): number {
    return this.offsets[this.offsets.length - 1]!;
  }

  /** This peer's part: its gradients and loss scaled by `weight` (its shard ÷ the global batch), its hits as counted. */
  pack(grads: readonly tf.Tensor[], loss: number, hits: number, weight: number, decision: LeaderDecision | null): void {
    grads.forEach((g, i) => {
      const values = g.dataSync() as Float32Array;
      const at = this.offsets[i]!;
      for (let j = 0; j < values.length; j++) this.data[at + j] = values[j]! * weight;
    });
    this.packTail(loss * weight, hits, decision);
  }

  /** A peer with no samples in this batch (the last, short batch of an epoch) still takes part, with zeros. */
  packEmpty(decision: LeaderDecision | null): void {
    this.data.fill(0, 0, this.tail);
    this.packTail(0, 0, decision);
  }

  /** After the all-reduce: the global batch's mean gradient per parameter, as tensors. */
  gradients(): tf.Tensor[] {
    return this.params.map((p, i) => tf.tensor(this.data.subarray(this.offsets[i]!, this.offsets[i + 1]!), p.shape, 'float32'));
  }

  get loss(): number {
    return this.data[this.tail + TAIL.loss]!;
  }

  get hits(): number {
    return this.data[this.tail + TAIL.hits]!;
  }

  get decision(): LeaderDecision {
    const t = this.tail;
    const lr = this.data[t + TAIL.lr]!;
    const batchSize = this.data[t + TAIL.batchSize]!;
    const change: HyperparamChange | null =
      lr > 0 || batchSize > 0 ? { ...(lr > 0 ? { lr } : {}), ...(batchSize > 0 ? { batchSize: Math.round(batchSize) } : {}) } : null;
    return { stop: this.data[t + TAIL.stop]! > 0, pause: this.data[t + TAIL.pause]! > 0, regroup: this.data[t + TAIL.regroup]! > 0, change };
  }

  private packTail(loss: number, hits: number, decision: LeaderDecision | null): void {
    const t = this.tail;
    this.data[t + TAIL.loss] = loss;
    this.data[t + TAIL.hits] = hits;
    this.data[t + TAIL.stop] = decision?.stop ? 1 : 0;
    this.data[t + TAIL.pause] = decision?.pause ? 1 : 0;
    this.data[t + TAIL.regroup] = decision?.regroup ? 1 : 0;
    this.data[t + TAIL.lr] = decision?.change?.lr ?? 0;
    this.data[t + TAIL.batchSize] = decision?.change?.batchSize ?? 0;
  }
}
