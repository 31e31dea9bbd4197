import * as tf from '@tensorflow/tfjs-core';
import { adamInPlace } from '../kernels/in-place-adam.js';
import { Optimizer } from './optimizer.js';

/** PyTorch's defaults, so benchmarks against it compare like with like. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Adam (Kingma & Ba) with bias correction. */
export class Adam extends Optimizer {
  constructor(params: readonly tf.Variable[], lr: number) {
    super(params, lr, ['m', 'v']);
  }

  protected update(i: number, g: tf.Tensor): void {
    const p = this.params[i]!;
    const m = this.slots.m![i]!;
    const v = this.slots.v![i]!;
    const { beta1, beta2, epsilon } = ADAM;
    const stepSize = (this.lr * Math.sqrt(1 - beta2 ** this.updates)) / (1 - beta1 ** this.updates);
    const epsHat = epsilon * Math.sqrt(1 - beta2 ** this.updates);
    if (adamInPlace(p, m, v, g, stepSize, beta1, beta2, epsHat)) return;
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
    p.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize)));
  }
}
