import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer.js';

/** Plain stochastic gradient descent: w ← w − lr·g. */
export class Sgd extends Optimizer {
  constructor(params: readonly tf.Variable[], lr: number) {
    super(params, lr, []);
  }

  protected update(i: number, g: tf.Tensor): void {
    const p = this.params[i]!;
    p.assign(tf.sub(p, tf.mul(g, this.lr)));
  }
}
