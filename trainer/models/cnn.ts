import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../input-error.js';
import { convBiasRelu, denseBiasRelu } from '../kernels/fused-layer-kernels.js';
import { LayerStack } from './layer-stack.js';
import type { LayerRange, Model } from './model.js';

/** The smallest side whose feature map survives both conv + pool stages (10 → 8 → 4 → 2 → 1). */
export const CNN_MIN_SIDE = 10;

/**
 * For `height × width × channels` images (Fashion-MNIST: 28×28×1): conv 3×3×32 valid ReLU →
 * max-pool 2 → conv 3×3×64 valid ReLU → max-pool 2 → dense 128 ReLU → dense `outputs`
 * (softmax in the loss). The benchmarks compare exactly this shape with PyTorch.
 */
export function cnnModel(inputShape: readonly number[], outputs: number, seed: number, hold?: LayerRange): Model {
  const [height, width, channels] = inputShape as [number, number, number];
  if (inputShape.length !== 3 || Math.min(height, width) < CNN_MIN_SIDE) {
    throw new InputError('model', `model: cnn needs images of at least ${CNN_MIN_SIDE}×${CNN_MIN_SIDE} (got input shape ${inputShape.join('×')})`);
  }
  const stack = new LayerStack(seed, hold);
  // Each conv layer: 3×3 valid conv + bias + ReLU, then 2×2 max-pool; its input reshaped to images.
  const conv = (name: string, input: [number, number, number], filters: number) => {
    const [h, w, c] = input;
    const output = [Math.floor((h - 2) / 2), Math.floor((w - 2) / 2), filters];
    stack.add(
      { name, input, output, forwardMacs: (h - 2) * (w - 2) * 9 * c * filters },
      [
        { name: `${name}/kernel`, shape: [3, 3, c, filters], fanIn: 9 * c },
        { name: `${name}/bias`, shape: [filters], fanIn: 9 * c },
      ],
      (x, [k, b]) => tf.maxPool(convBiasRelu(tf.reshape(x, [x.shape[0]!, h, w, c]) as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D), 2, 2, 'valid'),
    );
    return output as [number, number, number];
  };
  const pooled = conv('conv2', conv('conv1', [height, width, channels], 32), 64);
  const flat = pooled[0] * pooled[1] * pooled[2];
  stack.add(
    { name: 'dense1', input: pooled, output: [128], forwardMacs: flat * 128 },
    [
      { name: 'dense1/kernel', shape: [flat, 128], fanIn: flat },
      { name: 'dense1/bias', shape: [128], fanIn: flat },
    ],
    (x, [w, b]) => denseBiasRelu(tf.reshape(x, [x.shape[0]!, flat]) as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
  );
  stack.add(
    { name: 'dense2', input: [128], output: [outputs], forwardMacs: 128 * outputs },
    [
      { name: 'dense2/kernel', shape: [128, outputs], fanIn: 128 },
      { name: 'dense2/bias', shape: [outputs], fanIn: 128 },
    ],
    (x, [w, b]) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b }),
  );
  return stack.build();
}
