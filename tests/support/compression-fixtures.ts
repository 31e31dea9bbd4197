import { seededRandom } from '../../shared/seeded-random.js';
import type { ModelArchitecture, ModelLineage } from '../../shared/model-package.js';
import type { NamedTensor } from '../../trainer/compression/magnitude-pruning.js';
import { loadNativeKernels } from '../../trainer/kernels/native-kernels.js';

export const MLP_ARCHITECTURE: ModelArchitecture = { model: 'mlp', task: 'classification', inputShape: [28, 28, 1], classes: 10 };
export const CNN_ARCHITECTURE: ModelArchitecture = { ...MLP_ARCHITECTURE, model: 'cnn' };

export const LINEAGE: ModelLineage = { sourceRunId: 'run-20261125-010000-abcd', compression: { kind: 'none' }, createdAt: 1_795_000_000_000 };

/** Weights shaped like a trained network's parameters, roughly as a trained one's are scaled (U(±1/√fanIn)). */
export function parameterTensors(shapes: readonly [string, number[]][], seed: number): NamedTensor[] {
  const random = seededRandom(seed);
  return shapes.map(([name, shape]) => {
    const fanIn = shape.length === 1 ? 64 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const limit = 1 / Math.sqrt(fanIn);
    return { name, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * limit) };
  });
}

/** trainer/models/mlp.ts's parameters for Fashion-MNIST: 784-256-128-10. */
export const MLP_SHAPES: [string, number[]][] = [
  ['dense1/kernel', [784, 256]], ['dense1/bias', [256]],
  ['dense2/kernel', [256, 128]], ['dense2/bias', [128]],
  ['dense3/kernel', [128, 10]], ['dense3/bias', [10]],
];

/** trainer/models/cnn.ts's parameters for 28×28×1 images. */
export const CNN_SHAPES: [string, number[]][] = [
  ['conv1/kernel', [3, 3, 1, 32]], ['conv1/bias', [32]],
  ['conv2/kernel', [3, 3, 32, 64]], ['conv2/bias', [64]],
  ['dense1/kernel', [1600, 128]], ['dense1/bias', [128]],
  ['dense2/kernel', [128, 10]], ['dense2/bias', [10]],
];

/** Bit-identical values (a byte comparison: toEqual walks large typed arrays element by element, slowly). */
export function sameValues(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The same tensors by name, shape and bit-identical values, in order. */
export function sameTensors(a: readonly NamedTensor[], b: readonly NamedTensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t.name === b[i]!.name && t.shape.join() === b[i]!.shape.join() && sameValues(t.values, b[i]!.values));
}

/**
 * How an int8 mlp runs in this checkout's trainer: on the int8 kernels where the addon was built
 * with integer dot-product instructions (VNNI here), else dequantized to float32 (a --portable
 * build, an older CPU).
 */
export function int8MlpPath(): 'int8' | 'dequantized-fp32' {
  return loadNativeKernels().info().int8 ? 'int8' : 'dequantized-fp32';
}
