import * as tf from '@tensorflow/tfjs-core';
import { denseBiasRelu } from '../kernels/fused-layer-kernels.js';
import { LayerStack } from './layer-stack.js';
import type { LayerRange, Model } from './model.js';

/** input → 256 ReLU → 128 ReLU → outputs. */
export function mlpModel(inputs: number, outputs: number, seed: number, hold?: LayerRange): Model {
  const stack = new LayerStack(seed, hold);
  const dense = (name: string, from: number, to: number, relu: boolean) =>
    stack.add(
      { name, input: [from], output: [to], forwardMacs: from * to },
      [
        { name: `${name}/kernel`, shape: [from, to], fanIn: from },
        { name: `${name}/bias`, shape: [to], fanIn: from },
      ],
      (x, [w, b]) =>
        relu ? denseBiasRelu(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D) : tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b }),
    );
  dense('dense1', inputs, 256, true);
  dense('dense2', 256, 128, true);
  dense('dense3', 128, outputs, false);
  return stack.build();
}
