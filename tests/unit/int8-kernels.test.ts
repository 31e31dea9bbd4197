import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { calibrateActivations } from '../../trainer/compression/layer-calibration.js';
import { buildModelPackage } from '../../trainer/compression/model-package-file.js';
import { Int8DenseStack } from '../../trainer/compression/int8-dense-stack.js';
import { inferenceModel } from '../../trainer/compression/package-inference.js';
import { encodeModelTensors } from '../../trainer/compression/package-tensor-codec.js';
import { restoredTensors } from '../../trainer/compression/variant-measure.js';
import { loadNativeKernels } from '../../trainer/kernels/native-kernels.js';
import { LINEAGE, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors } from '../support/compression-fixtures.js';

/**
 * The addon's int8 inference kernels (trainer/native/int8-kernels.c) against exact integer
 * arithmetic, and an int8 mlp on them against the same weights dequantized. The addon is built by
 * `npm run build`; if it is missing, these fail saying so rather than skip.
 */

const kernels = () => loadNativeKernels();

beforeAll(async () => {
  await chooseBackend('hpc-native');
});

/** The layer as the kernel defines it, in float64 from exact integer sums. */
function reference(x: Uint8Array, w: Int8Array, m: number, n: number, k: number, xScale: number, xZero: number, wScale: Float32Array, wZero: Int32Array, bias: Float32Array, relu: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (x[i * k + p]! - xZero) * (w[j * k + p]! - wZero[j]!);
      const v = xScale * wScale[j]! * sum + bias[j]!;
      out[i * n + j] = relu ? Math.max(0, v) : v;
    }
  }
  return out;
}

describe('int8 dense kernel', () => {
  it.each([
    // Odd sizes leave partial blocks of rows and columns; the larger one is shared by the threads.
    { m: 7, n: 13, k: 37, threads: 1, relu: true },
    { m: 7, n: 13, k: 37, threads: 1, relu: false },
    { m: 130, n: 70, k: 300, threads: 2, relu: true },
  ])('equals exact integer arithmetic with both zero points: $m × $k by $k × $n, $threads thread(s), relu $relu', ({ m, n, k, threads, relu }) => {
    const random = seededRandom(m * n + k);
    const x = Uint8Array.from({ length: m * k }, () => Math.floor(random() * 256));
    const w = Int8Array.from({ length: n * k }, () => Math.floor(random() * 256) - 128);
    const wSum = Int32Array.from({ length: n }, (_, j) => w.subarray(j * k, (j + 1) * k).reduce((s, v) => s + v, 0));
    const wScale = Float32Array.from({ length: n }, () => 0.001 + random() * 0.01);
    const wZero = Int32Array.from({ length: n }, (_, j) => (j % 3) - 1);
    const bias = Float32Array.from({ length: n }, () => random() - 0.5);
    const [xScale, xZero] = [Math.fround(0.02), 37];
    kernels().setThreads(threads);
    const out = new Float32Array(m * n);
    kernels().int8Dense(x, w, wSum, out, Int32Array.of(m, n, k, xZero, relu ? 1 : 0), xScale, wScale, wZero, bias);
    const expected = reference(x, w, m, n, k, xScale, xZero, wScale, wZero, bias, relu);
    // The integer sum is exact; only the final float32 scaling rounds.
    expected.forEach((v, i) => expect(Math.abs(out[i]! - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
    if (relu) expect(out.every((v) => v >= 0)).toBe(true);
    kernels().setThreads(2);
  });

  it('quantizes to uint8 codes: half steps to even, clamped to 0…255', () => {
    const q = new Uint8Array(6);
    kernels().quantizeU8(Float32Array.of(0.5, 1.5, 2.5, -10, 1000, 3.49), q, 1, 0);
    expect([...q]).toEqual([0, 2, 2, 0, 255, 3]);
    kernels().quantizeU8(Float32Array.of(-0.25, 0, 0.25), q.subarray(0, 3), 0.25, 128);
    expect([...q.subarray(0, 3)]).toEqual([127, 128, 129]);
  });

  it('refuses arguments that do not fit the shape, naming them', () => {
    const call = (w: Int8Array, shape: number[]) => () =>
      kernels().int8Dense(new Uint8Array(6), w, new Int32Array(2), new Float32Array(4), Int32Array.from(shape), 0.1, new Float32Array(2), new Int32Array(2), null);
    expect(call(new Int8Array(5), [2, 2, 3, 0, 0])).toThrow(/w holds 5 elements, the shape needs 6/);
    expect(call(new Int8Array(6), [2, 2, 3, 256, 0])).toThrow(/xZero 0 to 255/);
    expect(() => kernels().quantizeU8(new Float32Array(3), new Uint8Array(2), 1, 0)).toThrow(/q holds 2 elements, the shape needs 3/);
  });
});

describe('an int8 mlp on the kernels', () => {
  it('classifies as the same weights dequantized to float32 do, its logits within the activations\' quantization error', () => {
    const encoded = encodeModelTensors(parameterTensors(MLP_SHAPES, 5), { int8: { granularity: 'per-channel', symmetric: true } });
    const restored = restoredTensors(encoded, MLP_ARCHITECTURE);
    const random = seededRandom(11);
    const rows = 300;
    const x = Float32Array.from({ length: rows * 784 }, () => random());
    const { ranges } = calibrateActivations(MLP_ARCHITECTURE, restored, { count: rows, x, y: new Int32Array(rows) }, 784, rows);
    const pkg = buildModelPackage({ id: 'int8-mlp', architecture: MLP_ARCHITECTURE, tensors: encoded, activations: ranges, metrics: { inferencePath: 'int8' }, lineage: LINEAGE });
    const int8 = Int8DenseStack.fromPackage(pkg.manifest, pkg.weights, restored);
    const float = inferenceModel({ ...pkg.manifest, metrics: { ...pkg.manifest.metrics, inferencePath: 'dequantized-fp32' } }, pkg.weights, restored);
    const [a, b] = [int8, float].map((model) => tf.tidy(() => model.apply(tf.tensor2d(x, [rows, 784])).dataSync() as Float32Array));
    float.dispose();
    const spread = b!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = b!.reduce((m, v, i) => Math.max(m, Math.abs(v - a![i]!)), 0);
    expect(worst / spread).toBeLessThan(0.05);
    const argmax = (logits: Float32Array, r: number) => logits.subarray(r * 10, r * 10 + 10).reduce((best, v, c, all) => (v > all[best]! ? c : best), 0);
    const agree = Array.from({ length: rows }, (_, r) => argmax(a!, r) === argmax(b!, r)).filter(Boolean).length;
    expect(agree / rows).toBeGreaterThan(0.95);
  });
});
