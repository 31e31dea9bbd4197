import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ActivationRange, ModelArchitecture, ModelManifest, TensorEntry } from '../../shared/model-package.js';
import { HPC_NATIVE } from '../kernels/hpc-native-backend.js';
import { loadNativeKernels, type NativeKernels } from '../kernels/native-kernels.js';
import type { NamedTensor } from './magnitude-pruning.js';

/** One dense layer as the int8 kernel takes it. */
interface Int8Layer {
  /** Inputs and outputs. */
  k: number;
  n: number;
  /** The kernel transposed to n × k, so each output channel's weights are contiguous. */
  w: Int8Array;
  wSum: Int32Array;
  wScale: Float32Array;
  wZero: Int32Array;
  bias: Float32Array;
  relu: boolean;
  /** The calibrated range of this layer's input, as uint8 codes. */
  xScale: number;
  xZero: number;
}

/**
 * Why a model of `architecture` cannot run on the int8 kernels here, or null when it can: they
 * take stacks of dense layers (mlp, linear), they are the hpc-native backend's addon's, and they
 * pay only where the build has integer dot-product instructions (bench/int8-dense.ts: without
 * them they are slower than float32 BLAS).
 */
export function int8Unavailable(architecture: ModelArchitecture): string | null {
  if (architecture.model === 'cnn') return 'there are int8 kernels for dense layers only, not convolutions';
  if (tf.getBackend() !== HPC_NATIVE) return `the int8 kernels are hpc-native's, and this trainer runs on ${tf.getBackend()}`;
  if (!loadNativeKernels().info().int8) return 'this build of the kernels has no integer dot-product instructions (built --portable), where float32 is faster';
  return null;
}

/**
 * An int8 mlp or linear model on the addon's integer kernels: each layer quantizes its input to
 * uint8 with the range calibrated for it, multiplies by the int8 weights in int32, and scales back
 * to float (bias and ReLU on the way out). Only numbers from the package are used.
 */
export class Int8DenseStack {
  /** Each layer's input codes and output, kept between batches and grown to the largest. */
  private readonly buffers: { codes: Uint8Array; out: Float32Array }[];

  private constructor(
    private readonly kernels: NativeKernels,
    private readonly layers: readonly Int8Layer[],
  ) {
    this.buffers = layers.map(() => ({ codes: new Uint8Array(0), out: new Float32Array(0) }));
  }

  /**
   * `weights` is the package's checked weights.bin, `restored` its tensors as float32 (for the
   * biases). Throws RangeError for a package that is not int8 dense layers with calibrated ranges,
   * or a trainer not on hpc-native. (Whether the kernels pay on this build is int8Unavailable's call.)
   */
  static fromPackage(manifest: ModelManifest, weights: Uint8Array, restored: readonly NamedTensor[]): Int8DenseStack {
    if (tf.getBackend() !== HPC_NATIVE) throw new RangeError(`${manifest.id} cannot run on the int8 kernels: they are hpc-native's, and this trainer runs on ${tf.getBackend()}`);
    const ranges = new Map((manifest.activations ?? []).map((r) => [r.layer, r]));
    const kernels = manifest.tensors.filter((t) => t.name.endsWith('/kernel'));
    const layers = kernels.map((entry, i) => {
      const name = entry.name.slice(0, -'/kernel'.length);
      const bias = restored.find((t) => t.name === `${name}/bias`);
      const inputRange = ranges.get(i === 0 ? 'input' : kernels[i - 1]!.name.slice(0, -'/kernel'.length));
      const channelAxis = entry.encoding === 'int8' && entry.quantization.granularity === 'per-channel' ? (entry.quantization.axis ?? 1) : 1;
      if (entry.encoding !== 'int8' || entry.shape.length !== 2 || channelAxis !== 1 || !bias || !inputRange) {
        throw new RangeError(`${manifest.id}: layer ${name} is not an int8 dense kernel with a bias and a calibrated input range`);
      }
      return int8Layer(entry, weights, bias.values, inputRange, i < kernels.length - 1);
    });
    return new Int8DenseStack(loadNativeKernels(), layers);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const rows = x.shape[0];
    // The input read in place from the backend's memory (hpc-native's is the wasm heap), not copied out.
    let h = (tf.backend() as BackendWasm).typedArrayFromHeap(x) as Float32Array;
    this.layers.forEach((layer, i) => {
      const buffer = this.buffers[i]!;
      if (buffer.codes.length < rows * layer.k) buffer.codes = new Uint8Array(rows * layer.k);
      if (buffer.out.length < rows * layer.n) buffer.out = new Float32Array(rows * layer.n);
      const codes = buffer.codes.subarray(0, rows * layer.k);
      const out = buffer.out.subarray(0, rows * layer.n);
      this.kernels.quantizeU8(h, codes, layer.xScale, layer.xZero);
      this.kernels.int8Dense(codes, layer.w, layer.wSum, out, Int32Array.of(rows, layer.n, layer.k, layer.xZero, layer.relu ? 1 : 0), layer.xScale, layer.wScale, layer.wZero, layer.bias);
      h = out;
    });
    return tf.tensor2d(h, [rows, this.layers.at(-1)!.n]);
  }
}

function int8Layer(entry: Extract<TensorEntry, { encoding: 'int8' }>, weights: Uint8Array, bias: Float32Array, input: ActivationRange, relu: boolean): Int8Layer {
  const [k, n] = entry.shape as [number, number];
  const q = new Int8Array(weights.buffer, weights.byteOffset + entry.data.offset, k * n);
  const { scales, zeroPoints, granularity } = entry.quantization;
  const perChannel = granularity === 'per-channel';
  const w = new Int8Array(n * k);
  const wSum = new Int32Array(n);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const v = q[p * n + j]!;
      w[j * k + p] = v;
      wSum[j]! += v;
    }
  }
  return {
    k,
    n,
    w,
    wSum,
    wScale: Float32Array.from({ length: n }, (_, j) => scales[perChannel ? j : 0]!),
    wZero: Int32Array.from({ length: n }, (_, j) => zeroPoints[perChannel ? j : 0]!),
    bias,
    relu,
    xScale: input.scale,
    // The stored zero point is for int8 codes (−128…127); the kernel takes uint8 codes, 128 higher.
    xZero: input.zeroPoint + 128,
  };
}
