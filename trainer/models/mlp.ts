import * as tf from '@tensorflow/tfjs-core';
import { denseBiasRelu } from '../kernels/fused-layer-kernels.js';
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
      const h1 = denseBiasRelu(x, w1 as tf.Tensor2D, b1 as tf.Tensor1D);
      const h2 = denseBiasRelu(h1, w2 as tf.Tensor2D, b2 as tf.Tensor1D);
      return tf.fused.matMul({ a: h2, b: w3, bias: b3 }) as tf.Tensor2D;
    },
  };
}
