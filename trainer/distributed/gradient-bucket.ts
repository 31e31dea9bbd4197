import * as tf from '@tensorflow/tfjs-core';
import { DECISION_LENGTH, readDecision, writeDecision, type LeaderDecision } from './leader-decision.js';

const TAIL = { loss: 0, hits: 1, decision: 2 } as const;
const TAIL_LENGTH = 2 + DECISION_LENGTH;

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
    return readDecision(this.data, this.tail + TAIL.decision);
  }

  private packTail(loss: number, hits: number, decision: LeaderDecision | null): void {
    const t = this.tail;
    this.data[t + TAIL.loss] = loss;
    this.data[t + TAIL.hits] = hits;
    writeDecision(this.data, t + TAIL.decision, decision);
  }
}
