import * as tf from '@tensorflow/tfjs-core';

/** How many threads a loaded tfjs backend computes on, and why. */
export async function tfjsThreads(backend: string, detail?: string): Promise<{ threads: number; threadsNote: string }> {
  if (backend === 'hpc-native') {
    const threads = Number(/(\d+) threads?$/.exec(detail ?? '')?.[1] ?? 1);
    return { threads, threadsNote: `HPC Studio's native kernels (${detail}): conv, dense, pooling, bias + ReLU gradients and Adam shared over ${threads} threads, OpenBLAS single-threaded inside each chunk; the remaining small ops on tfjs-backend-wasm, 1 thread` };
  }
  if (backend !== 'wasm') return { threads: 1, threadsNote: `the ${backend} backend computes on the Node.js main thread` };
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = getThreadsCount();
  return { threads, threadsNote: `tfjs-backend-wasm getThreadsCount() = ${threads}; SIMD ${simd}, multithread support ${multithread}; HPC Studio's own Conv2DBackpropFilter kernel registered` };
}
