import * as tf from '@tensorflow/tfjs-core';
import { LayerStack } from './layer-stack.js';
import type { LayerRange, Model } from './model.js';

/** Linear regression (outputs 1) or softmax regression (outputs = classes). */
export function linearModel(inputs: number, outputs: number, seed: number, hold?: LayerRange): Model {
  const stack = new LayerStack(seed, hold);
  stack.add(
    { name: 'dense', input: [inputs], output: [outputs], forwardMacs: inputs * outputs },
    [
      { name: 'dense/kernel', shape: [inputs, outputs], fanIn: inputs },
      { name: 'dense/bias', shape: [outputs], fanIn: inputs },
    ],
    (x, [w, b]) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!),
  );
  return stack.build();
}
