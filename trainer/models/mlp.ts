import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model.js';
import { ParameterSet } from './parameters.js';

/** input → 256 ReLU → 128 ReLU → outputs. */
export function mlpModel(inputs: number, outputs: number, seed: number): Model {
  const p = new ParameterSet(seed);
  const w1 = p.fanInUniform('dense1/kernel', [inputs, 256], inputs);
  const b1 = p.fanInUniform('dense1/bias', [256], inputs);
  const w2 = p.fanInUniform('dense2/kernel', [256, 128], 256);
  const b2 = p.fanInUniform('dense2/bias', [128], 256);
  const w3 = p.fanInUniform('dense3/kernel', [128, outputs], 128);
  const b3 = p.fanInUniform('dense3/bias', [outputs], 128);
  return {
    names: p.names,
    variables: p.variables,
    apply: (x) => {
      const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
      return tf.add(tf.matMul(h2, w3), b3);
    },
  };
}
