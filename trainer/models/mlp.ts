import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_MLP_HIDDEN } from '../../shared/run-config.js';
import { denseBiasRelu } from '../kernels/fused-layer-kernels.js';
import { LayerStack } from './layer-stack.js';
import type { LayerRange, Model } from './model.js';

/** input → each of `hidden` ReLU (default 256 → 128) → outputs; layers dense1, dense2, … */
export function mlpModel(inputs: number, outputs: number, seed: number, hold?: LayerRange, hidden: readonly number[] = DEFAULT_MLP_HIDDEN): Model {
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
  const widths = [inputs, ...hidden, outputs];
  for (let i = 1; i < widths.length; i++) dense(`dense${i}`, widths[i - 1]!, widths[i]!, i < widths.length - 1);
  return stack.build();
}
