import * as tf from '@tensorflow/tfjs-core';

/**
 * Builds a model's parameters with seeded initialisation, so the same seed gives the same start.
 * Every weight and bias starts as PyTorch's Linear/Conv2d default, U(±1/√fanIn), so the same
 * architecture here and in PyTorch starts alike and benchmarks compare like with like.
 */
export class ParameterSet {
  readonly names: string[] = [];
  readonly variables: tf.Variable[] = [];
  private next: number;

  constructor(seed: number) {
    this.next = seed * 9973;
  }

  fanInUniform(name: string, shape: number[], fanIn: number): tf.Variable {
    const limit = 1 / Math.sqrt(fanIn);
    const init = tf.randomUniform(shape, -limit, limit, 'float32', this.next++);
    const v = tf.variable(init, true);
    init.dispose();
    this.names.push(name);
    this.variables.push(v);
    return v;
  }

  /** Passes over a parameter another process holds, so the ones after it keep their seeds. */
  skip(): null {
    this.next++;
    return null;
  }
}
