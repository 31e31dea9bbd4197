import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { convBiasRelu, denseBiasRelu } from '../../trainer/kernels/fused-layer-kernels.js';
import { softmaxCrossEntropy } from '../../trainer/kernels/softmax-cross-entropy.js';
import { ADAM, Adam } from '../../trainer/optimizers/adam.js';

/**
 * Every kernel of the hpc-native backend (trainer/native/hpc-kernels.c) against TensorFlow.js's
 * reference cpu backend, at fp32 tolerance, over odd shapes, strides, padding and dilation. The
 * addon is built by `npm run build` (scripts/build-native.sh); if it is missing, these fail
 * saying so rather than skip.
 */

type Shape = number[];
type Pad = 'valid' | 'same' | number;

const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

function random(shape: Shape, seed: number): tf.Tensor {
  let s = seed;
  return tf.tensor(Float32Array.from({ length: size(shape) }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1), shape);
}

/** Runs `compute` on the cpu backend and on hpc-native, with inputs created on each. */
async function onBoth(compute: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; native: Float32Array[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => [compute()].flat().map((t) => t.dataSync() as Float32Array).map((a) => a.slice()));
  };
  return { cpu: await run('cpu'), native: await run('hpc-native') };
}

/** Largest difference relative to the reference's largest magnitude; fp32 sums of a few hundred terms stay under 1e-5. */
function expectClose({ cpu, native }: { cpu: Float32Array[]; native: Float32Array[] }, tolerance = 1e-5): void {
  expect(native.length).toBe(cpu.length);
  cpu.forEach((reference, i) => {
    const got = native[i]!;
    expect(got.length).toBe(reference.length);
    const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
    const worst = reference.reduce((m, v, j) => Math.max(m, Math.abs(v - got[j]!)), 0);
    expect(worst / scale).toBeLessThan(tolerance);
  });
}

const convCases: { x: Shape; filter: Shape; strides: [number, number]; pad: Pad; dilations?: [number, number] }[] = [
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 32], strides: [1, 1], pad: 'valid' }, // the cnn's first layer (direct path)
  { x: [3, 13, 13, 32], filter: [3, 3, 32, 64], strides: [1, 1], pad: 'valid' }, // its second (im2col + GEMM)
  { x: [3, 9, 7, 5], filter: [3, 2, 5, 6], strides: [2, 3], pad: 'same' },
  { x: [2, 11, 10, 7], filter: [5, 3, 7, 4], strides: [1, 2], pad: 2 },
  { x: [1, 12, 12, 6], filter: [3, 3, 6, 5], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  { x: [2, 6, 5, 9], filter: [1, 1, 9, 3], strides: [1, 1], pad: 'valid' }, // pointwise: no im2col at all
  { x: [2, 8, 9, 2], filter: [2, 2, 2, 3], strides: [2, 2], pad: 'valid' }, // few taps, strided
];
const label = (c: (typeof convCases)[number]) => `x ${c.x.join('×')}, filter ${c.filter.join('×')}, stride ${c.strides}, pad ${c.pad}${c.dilations ? `, dilation ${c.dilations}` : ''}`;

beforeAll(async () => {
  await chooseBackend('cpu');
  await chooseBackend('hpc-native');
});

describe('hpc-native convolution kernels match the cpu backend', () => {
  it.each(convCases.map((c) => [label(c), c] as const))('Conv2D and FusedConv2D (bias + relu): %s', async (_, c) => {
    expectClose(
      await onBoth(() => {
        const x = random(c.x, 1) as tf.Tensor4D;
        const filter = random(c.filter, 2) as tf.Tensor4D;
        const bias = random([c.filter[3]!], 3) as tf.Tensor1D;
        return [
          tf.conv2d(x, filter, c.strides, c.pad as 'valid', 'NHWC', c.dilations),
          tf.fused.conv2d({ x, filter, strides: c.strides, pad: c.pad as 'valid', dilations: c.dilations, bias, activation: 'relu' }),
        ];
      }),
    );
  });

  it.each(convCases.filter((c) => !c.dilations).map((c) => [label(c), c] as const))('both gradients: %s', async (_, c) => {
    expectClose(
      await onBoth(() => {
        const x = random(c.x, 4) as tf.Tensor4D;
        const filter = random(c.filter, 5) as tf.Tensor4D;
        const upstream = random(tf.conv2d(x, filter, c.strides, c.pad as 'valid').shape, 6);
        // The gradient of Σ conv(x, f) · upstream is conv2DBackpropInput / Filter applied to upstream.
        const [dx, dFilter] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad as 'valid'), upstream)))([x, filter]);
        return [dx!, dFilter!];
      }),
    );
  });
});

describe('hpc-native matrix products match the cpu backend', () => {
  it.each([
    { a: [64, 784], b: [784, 256], transposeA: false, transposeB: false },
    { a: [37, 19], b: [23, 19], transposeA: false, transposeB: true },
    { a: [19, 37], b: [19, 23], transposeA: true, transposeB: false },
    { a: [5, 7, 3], b: [5, 3, 6], transposeA: false, transposeB: false }, // batched
    { a: [4, 3, 7], b: [7, 2], transposeA: false, transposeB: false }, // the right side broadcast over the batch
  ])('MatMul $a × $b (transposed: $transposeA, $transposeB), plain and fused with bias + relu', async ({ a, b, transposeA, transposeB }) => {
    expectClose(
      await onBoth(() => {
        const at = random(a, 7);
        const bt = random(b, 8);
        const n = transposeB ? b[b.length - 2]! : b[b.length - 1]!;
        return [
          tf.matMul(at, bt, transposeA, transposeB),
          tf.fused.matMul({ a: at, b: bt, transposeA, transposeB, bias: random([n], 9), activation: 'relu' }),
        ];
      }),
    );
  });
});

describe('hpc-native pooling matches the cpu backend', () => {
  it.each([
    { x: [64, 26, 26, 32], window: 2, stride: 2, pad: 'valid' as Pad }, // the cnn's
    { x: [2, 11, 11, 64], window: 2, stride: 2, pad: 'valid' as Pad }, // an odd side leaves a row out
    { x: [3, 9, 7, 5], window: 3, stride: 2, pad: 'same' as Pad }, // overlapping windows over padding
    { x: [2, 8, 10, 3], window: 3, stride: 1, pad: 1 as Pad },
  ])('MaxPool and its gradient, x $x, window $window, stride $stride, pad $pad', async ({ x, window, stride, pad }) => {
    expectClose(
      await onBoth(() => {
        const input = random(x, 10) as tf.Tensor4D;
        const pooled = tf.maxPool(input, window, stride, pad as 'valid');
        const upstream = random(pooled.shape, 11);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, window, stride, pad as 'valid'), upstream)))(input);
        return [pooled, dx];
      }),
    );
  });
});

describe('the fused layers the models use', () => {
  it('conv + bias + relu: output and every gradient match plain ops on the cpu backend', async () => {
    expectClose(
      await onBoth(() => {
        const x = random([3, 12, 11, 4], 12) as tf.Tensor4D;
        const filter = random([3, 3, 4, 8], 13) as tf.Tensor4D;
        const bias = random([8], 14) as tf.Tensor1D;
        const upstream = random([3, 10, 9, 8], 15);
        // The reference is made of plain ops: conv2d, add, relu and their own gradients.
        const layer = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.getBackend() === 'cpu' ? tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), b)) : convBiasRelu(a as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D);
        const f = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layer(a, w, b), upstream));
        return [layer(x, filter, bias), ...tf.grads(f)([x, filter, bias])];
      }),
    );
  });

  it('dense + bias + relu: output and every gradient match plain ops on the cpu backend', async () => {
    expectClose(
      await onBoth(() => {
        const x = random([17, 33], 16) as tf.Tensor2D;
        const w = random([33, 21], 17) as tf.Tensor2D;
        const bias = random([21], 18) as tf.Tensor1D;
        const upstream = random([17, 21], 19);
        const layer = (a: tf.Tensor, m: tf.Tensor, b: tf.Tensor) =>
          tf.getBackend() === 'cpu' ? tf.relu(tf.add(tf.matMul(a, m), b)) : denseBiasRelu(a as tf.Tensor2D, m as tf.Tensor2D, b as tf.Tensor1D);
        const f = (a: tf.Tensor, m: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layer(a, m, b), upstream));
        return [layer(x, w, bias), ...tf.grads(f)([x, w, bias])];
      }),
    );
  });

  it('the same layers on hpc-native keep no tensors between steps', async () => {
    await tf.setBackend('hpc-native');
    const w = tf.variable(random([3, 3, 1, 8], 20));
    const b = tf.variable(random([8], 21));
    const x = random([4, 28, 28, 1], 22) as tf.Tensor4D;
    const step = () => tf.tidy(() => tf.variableGrads(() => tf.sum(convBiasRelu(x, w as tf.Tensor4D, b as tf.Tensor1D)), [w, b]).value.dataSync());
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('softmax cross-entropy with the hit count', () => {
  it('matches tf.losses and argMax on the cpu backend: the loss, its gradient, and the hits', async () => {
    const labels = [3, 0, 9, 9, 1, 4, 7];
    expectClose(
      await onBoth(() => {
        const logits = tf.mul(random([7, 10], 70), 4) as tf.Tensor2D;
        const y = tf.tensor1d(labels, 'int32');
        const { loss, hits } = softmaxCrossEntropy(logits, y);
        const grad = tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z as tf.Tensor2D, y).loss)(logits);
        return [tf.reshape(loss, [1]), tf.reshape(hits, [1]), grad];
      }),
    );
  });

  it('names the labels and their range when one is not a class', async () => {
    await tf.setBackend('hpc-native');
    expect(() => tf.tidy(() => softmaxCrossEntropy(random([2, 10], 71) as tf.Tensor2D, tf.tensor1d([1, 10], 'int32')).loss.dataSync())).toThrow(
      /labels must be class indices from 0 to 9/,
    );
  });
});

describe('Adam in place', () => {
  it('updates parameters exactly as the tensor-op Adam does on the cpu backend, over several steps', async () => {
    const trajectory = async (backend: string) => {
      await tf.setBackend(backend);
      const param = tf.variable(random([7, 5], 23));
      const adam = new Adam([param], 0.01);
      for (let step = 0; step < 4; step++) tf.tidy(() => adam.apply([random([7, 5], 30 + step)]));
      const values = param.dataSync().slice() as Float32Array;
      param.dispose();
      adam.dispose();
      return values;
    };
    expectClose({ cpu: [await trajectory('cpu')], native: [await trajectory('hpc-native')] }, 1e-6);
    expect(ADAM.beta1).toBe(0.9);
  });

  it('leaves a parameter whose memory another tensor shares to the tensor ops, so the other keeps its value', async () => {
    await tf.setBackend('hpc-native');
    const start = random([6], 40);
    const param = tf.variable(start);
    const adam = new Adam([param], 0.1);
    tf.tidy(() => adam.apply([tf.ones([6])]));
    expect(Array.from(start.dataSync())).toEqual(Array.from(random([6], 40).dataSync()));
    expect(Array.from(param.dataSync())).not.toEqual(Array.from(start.dataSync()));
  });
});

describe('the kernels\' thread team', () => {
  it('gives the same results on 1, 2 and 5 threads, and bit for bit the same on a second run', async () => {
    const { loadNativeKernels } = await import('../../trainer/kernels/native-kernels.js');
    const k = loadNativeKernels();
    const threads = k.info().threads;
    const results: Float32Array[][] = [];
    try {
      for (const n of [1, 2, 5, 2]) {
        k.setThreads(n);
        results.push(
          (
            await onBoth(() => {
              const x = random([7, 13, 13, 32], 50) as tf.Tensor4D;
              const filter = random([3, 3, 32, 16], 51) as tf.Tensor4D;
              const [dx, dFilter] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'))))([x, filter]);
              return [tf.maxPool(x, 2, 2, 'valid'), dx!, dFilter!];
            })
          ).native,
        );
      }
    } finally {
      k.setThreads(threads);
    }
    expectClose({ cpu: results[0]!, native: results[1]! });
    expectClose({ cpu: results[0]!, native: results[2]! });
    // Sums are folded per chunk in chunk order: whichever thread claims a chunk, the bits are the same.
    expect(results[3]!.map((a) => Array.from(a))).toEqual(results[1]!.map((a) => Array.from(a)));
  });
});

describe('the im2col matrix kept from a forward convolution', () => {
  it('serves the filter gradient of that same input only', async () => {
    const { loadNativeKernels } = await import('../../trainer/kernels/native-kernels.js');
    const k = loadNativeKernels();
    // 2 images 6×6×8, 3×3 filter to 4 channels, valid: 72 taps, so the im2col path.
    const geometry = Int32Array.of(2, 6, 6, 8, 3, 3, 4, 4, 4, 1, 1, 0, 0, 1, 1);
    const floats = (n: number, seed: number) => (random([n], seed).dataSync() as Float32Array).slice();
    const [x1, x2, w, dy] = [floats(576, 60), floats(576, 61), floats(288, 62), floats(128, 63)];
    const gradient = (x: Float32Array, token: number) => {
      const dw = new Float32Array(288);
      k.conv2dBackpropFilter(x, dy, dw, geometry, token);
      return Array.from(dw);
    };
    const fresh = [gradient(x1, 0), gradient(x2, 0)];
    k.conv2d(x1, w, new Float32Array(128), geometry, null, 0, 1001);
    expect(gradient(x1, 1001)).toEqual(fresh[0]);
    // Another input (another token) is unfolded afresh, never served x1's matrix.
    expect(gradient(x2, 1002)).toEqual(fresh[1]);
    expect(gradient(x2, 0)).toEqual(fresh[1]);
  });
});

describe('the native kernels reject what does not fit, naming it', () => {
  it('a wrongly sized buffer is a RangeError naming the argument, not a crash', async () => {
    const { loadNativeKernels } = await import('../../trainer/kernels/native-kernels.js');
    const k = loadNativeKernels();
    const geometry = Int32Array.of(1, 4, 4, 1, 3, 3, 2, 2, 2, 1, 1, 0, 0, 1, 1);
    expect(() => k.conv2d(new Float32Array(16), new Float32Array(18), new Float32Array(7), geometry, null, 1, 0)).toThrow(/y holds 7 floats, the geometry needs 8/);
    expect(() => k.conv2d(new Float32Array(16), new Float32Array(18), new Float32Array(8), Int32Array.of(1, 2), null, 0, 0)).toThrow(/geometry must be an Int32Array of 15/);
    expect(() => k.adam(new Float32Array(3), new Float32Array(3), new Float32Array(2), new Float32Array(3), 0.1, 0.9, 0.999, 1e-8)).toThrow(/v holds 2 floats/);
  });
});
