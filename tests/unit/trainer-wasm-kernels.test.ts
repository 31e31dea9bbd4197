import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../trainer/backend-chain.js';

/** The filter gradient of conv2d, computed on `backend` through the engine's gradient machinery. */
async function filterGradient(backend: string, x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], strides: number, pad: 'valid' | 'same') {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
    // A non-uniform upstream gradient, so every position of dy matters.
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, f as tf.Tensor4D, strides, pad), tf.sin(tf.conv2d(xt, f as tf.Tensor4D, strides, pad)))))(wt);
    return grad.dataSync().slice();
  });
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('is registered on the wasm backend', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each([
    { xShape: [2, 8, 8, 3], wShape: [3, 3, 3, 4], strides: 1, pad: 'valid' as const },
    { xShape: [2, 8, 8, 3], wShape: [3, 3, 3, 4], strides: 1, pad: 'same' as const },
    { xShape: [3, 9, 9, 2], wShape: [3, 3, 2, 5], strides: 2, pad: 'valid' as const },
    { xShape: [3, 10, 10, 2], wShape: [3, 3, 2, 5], strides: 2, pad: 'same' as const },
    { xShape: [1, 7, 9, 1], wShape: [2, 4, 1, 3], strides: 1, pad: 'same' as const },
    { xShape: [4, 13, 13, 32], wShape: [3, 3, 32, 64], strides: 1, pad: 'valid' as const },
  ])('matches the cpu backend for x $xShape, filter $wShape, stride $strides, $pad', async ({ xShape, wShape, strides, pad }) => {
    const x = random(xShape.reduce((a, b) => a * b), 1);
    const w = random(wShape.reduce((a, b) => a * b), 2);
    const cpu = await filterGradient('cpu', x, xShape, w, wShape, strides, pad);
    const wasm = await filterGradient('wasm', x, xShape, w, wShape, strides, pad);
    expect(wasm.length).toBe(cpu.length);
    const scale = Math.max(...cpu.map(Math.abs));
    const worst = Math.max(...cpu.map((v, i) => Math.abs(v - wasm[i]!)));
    expect(worst / scale).toBeLessThan(1e-5);
  });

  it('trains the CNN shape without leaking tensors', async () => {
    await tf.setBackend('wasm');
    const w = tf.variable(tf.randomNormal([3, 3, 1, 8], 0, 0.1, 'float32', 3));
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 4);
    const step = () => tf.tidy(() => tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')))).grads[w.name]!.dataSync());
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
