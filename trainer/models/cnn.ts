import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../input-error.js';
import { convBiasRelu, denseBiasRelu } from '../kernels/fused-layer-kernels.js';
import type { Model } from './model.js';
import { ParameterSet } from './parameters.js';

/** The smallest side whose feature map survives both conv + pool stages (10 → 8 → 4 → 2 → 1). */
export const CNN_MIN_SIDE = 10;

/**
 * For `height × width × channels` images (Fashion-MNIST: 28×28×1): conv 3×3×32 valid ReLU →
 * max-pool 2 → conv 3×3×64 valid ReLU → max-pool 2 → dense 128 ReLU → dense `outputs`
 * (softmax in the loss). The benchmarks compare exactly this shape with PyTorch.
 */
export function cnnModel(inputShape: readonly number[], outputs: number, seed: number): Model {
  const [height, width, channels] = inputShape as [number, number, number];
  if (inputShape.length !== 3 || Math.min(height, width) < CNN_MIN_SIDE) {
    throw new InputError('model', `model: cnn needs images of at least ${CNN_MIN_SIDE}×${CNN_MIN_SIDE} (got input shape ${inputShape.join('×')})`);
  }
  const side = (n: number) => Math.floor((Math.floor((n - 2) / 2) - 2) / 2);
  const p = new ParameterSet(seed);
  const c1 = p.fanInUniform('conv1/kernel', [3, 3, channels, 32], 9 * channels);
  const c1b = p.fanInUniform('conv1/bias', [32], 9 * channels);
  const c2 = p.fanInUniform('conv2/kernel', [3, 3, 32, 64], 9 * 32);
  const c2b = p.fanInUniform('conv2/bias', [64], 9 * 32);
  const flat = side(height) * side(width) * 64;
  const d1 = p.fanInUniform('dense1/kernel', [flat, 128], flat);
  const d1b = p.fanInUniform('dense1/bias', [128], flat);
  const d2 = p.fanInUniform('dense2/kernel', [128, outputs], 128);
  const d2b = p.fanInUniform('dense2/bias', [outputs], 128);
  return {
    names: p.names,
    variables: p.variables,
    apply: (x) => {
      const images = tf.reshape(x, [x.shape[0], height, width, channels]) as tf.Tensor4D;
      let h = tf.maxPool(convBiasRelu(images, c1 as tf.Tensor4D, c1b as tf.Tensor1D), 2, 2, 'valid');
      h = tf.maxPool(convBiasRelu(h, c2 as tf.Tensor4D, c2b as tf.Tensor1D), 2, 2, 'valid');
      const f = tf.reshape(h, [x.shape[0], flat]) as tf.Tensor2D;
      const hidden = denseBiasRelu(f, d1 as tf.Tensor2D, d1b as tf.Tensor1D);
      return tf.fused.matMul({ a: hidden, b: d2, bias: d2b }) as tf.Tensor2D;
    },
  };
}
