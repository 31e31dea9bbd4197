import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { HPC_NATIVE } from './hpc-native-backend.js';
import { loadNativeKernels } from './native-kernels.js';

/**
 * Adam's update as one native pass over the parameter and its two moments, written in place,
 * instead of a dozen tensor ops each allocating a parameter-sized result. False (nothing done)
 * where it does not apply: another backend, a non-float tensor, or memory another tensor shares,
 * which would change with it.
 */
export function adamInPlace(
  param: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor,
  stepSize: number, beta1: number, beta2: number, epsHat: number,
): boolean {
  // On hpc-native the addon is loaded already (loadNativeKernels only returns it).
  if (tf.getBackend() !== HPC_NATIVE) return false;
  const backend = tf.backend() as BackendWasm;
  const tensors = [param, m, v, grad];
  if (tensors.some((t) => t.dtype !== 'float32') || [param, m, v].some((t) => backend.refCount(t.dataId) !== 1)) return false;
  const [p, mv, vv, g] = tensors.map((t) => backend.typedArrayFromHeap(t) as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  loadNativeKernels().adam(p, mv, vv, g, stepSize, beta1, beta2, epsHat);
  return true;
}
