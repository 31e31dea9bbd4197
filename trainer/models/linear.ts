import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model.js';
import { ParameterSet } from './parameters.js';

/** Linear regression (outputs 1) or softmax regression (outputs = classes). */
export function linearModel(inputs: number, outputs: number, seed: number): Model {
  const p = new ParameterSet(seed);
  const w = p.fanInUniform('dense/kernel', [inputs, outputs], inputs);
  const b = p.fanInUniform('dense/bias', [outputs], inputs);
  return { names: p.names, variables: p.variables, apply: (x) => tf.add(tf.matMul(x, w), b) };
}
