import * as tf from '@tensorflow/tfjs-core';

/** Builds a model's parameters with seeded initialisation, so the same seed gives the same start. */
export class ParameterSet {
  readonly names: string[] = [];
  readonly variables: tf.Variable[] = [];
  private next: number;

  constructor(seed: number) {
    this.next = seed * 9973;
  }

  /** He-normal: keeps ReLU activations' variance steady through depth. */
  heNormal(name: string, shape: number[], fanIn: number): tf.Variable {
    return this.add(name, tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', this.next++));
  }

  /** Glorot-uniform, for the layer that feeds softmax or a linear output. */
  glorotUniform(name: string, shape: number[], fanIn: number, fanOut: number): tf.Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return this.add(name, tf.randomUniform(shape, -limit, limit, 'float32', this.next++));
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, tf.zeros(shape));
  }

  private add(name: string, init: tf.Tensor): tf.Variable {
    const v = tf.variable(init, true);
    init.dispose();
    this.names.push(name);
    this.variables.push(v);
    return v;
  }
}
