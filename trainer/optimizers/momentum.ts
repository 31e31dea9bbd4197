import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer.js';

export const MOMENTUM = 0.9;

/** Heavy-ball momentum, PyTorch's form: v ← μ·v + g; w ← w − lr·v. */
export class Momentum extends Optimizer {
  constructor(params: readonly tf.Variable[], lr: number) {
    super(params, lr, ['velocity']);
  }

  protected update(i: number, g: tf.Tensor): void {
    const p = this.params[i]!;
    const v = this.slots.velocity![i]!;
    v.assign(tf.add(tf.mul(v, MOMENTUM), g));
    p.assign(tf.sub(p, tf.mul(v, this.lr)));
  }
}
