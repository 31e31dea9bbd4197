import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** HPC Studio's C training kernels (trainer/native/*.c); every tensor is an fp32 NHWC view, written in place. */
export interface NativeKernels {
  /** shape: [batchA, batchB, m, n, k, transposeA, transposeB, activation]; activation 0 linear, 1 relu. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, shape: Int32Array, bias: Float32Array | null): void;
  /** `keep` names x (a token, 0 for none): its im2col matrix is kept for the filter gradient of the same x. */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: Int32Array, bias: Float32Array | null, activation: number, keep: number): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** `kept`: x's token from conv2d, or 0. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array, kept: number): void;
  maxPool(x: Float32Array, y: Float32Array, geometry: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** dact = dy where y > 0 else 0; dbias = dact summed over every axis but the last (dbias's length). */
  biasReluGrad(dy: Float32Array, y: Float32Array, dact: Float32Array, dbias: Float32Array): void;
  /** Mean softmax cross-entropy against int32 labels, its gradient into dlogits, and lossAndHits = [loss, rows whose argmax is their label]. */
  softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, dlogits: Float32Array, lossAndHits: Float32Array): void;
  adam(param: Float32Array, m: Float32Array, v: Float32Array, grad: Float32Array, stepSize: number, beta1: number, beta2: number, epsHat: number): void;
  /** q = the uint8 codes of x: clamp(round-half-to-even(x / scale) + zero, 0, 255). */
  quantizeU8(x: Float32Array, q: Uint8Array, scale: number, zero: number): void;
  /**
   * out (m × n) = act(xScale · wScale[j] · Σ_k (x − xZero)(w[j] − wZero[j]) + bias), x m × k uint8 codes, w n × k int8
   * (each output channel's weights contiguous), wSum[j] = Σ_k w[j][k]; shape: [m, n, k, xZero, activation].
   */
  int8Dense(x: Uint8Array, w: Int8Array, wSum: Int32Array, out: Float32Array, shape: Int32Array, xScale: number, wScale: Float32Array, wZero: Int32Array, bias: Float32Array | null): void;
  setThreads(threads: number): void;
  /** The BLAS build (OpenBLAS's config string), its thread count, and the int8 dot-product instructions the build has (null: none). */
  info(): { blas: string; threads: number; int8: string | null };
}

/**
 * [n, h, w, c, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft, dilationH, dilationW]:
 * the window geometry every convolution and pooling kernel takes.
 */
export type Geometry = Int32Array;

/**
 * Where scripts/build-native.sh puts the addon: build/native/ in the package, from dist/ or a bundle.
 * In the installed app that is app.asar/build/native/: Electron's fs sees into the archive, and its
 * `require` of a .node file there loads the copy electron-builder unpacked into app.asar.unpacked/.
 */
export function nativeKernelsPath(from: URL = new URL('.', import.meta.url)): string {
  const override = process.env.HPC_STUDIO_NATIVE_KERNELS;
  if (override) {
    if (!existsSync(override)) throw new Error(`HPC_STUDIO_NATIVE_KERNELS names ${override}, which does not exist`);
    return override;
  }
  // Up to the root, which is its own parent: on Windows that is the drive (file:///C:/), never '/'.
  for (let url = new URL('.', from), parent = new URL('..', url); ; url = parent, parent = new URL('..', url)) {
    const candidate = fileURLToPath(new URL('build/native/hpc-kernels.node', url));
    if (existsSync(candidate)) return candidate;
    if (parent.href === url.href) break;
  }
  throw new Error('not built (run scripts/build-native.sh; it needs a C compiler and libopenblas-dev)');
}

let loaded: NativeKernels | undefined;

/** Loads the addon once; throws a one-line reason when it is missing or will not load. */
export function loadNativeKernels(): NativeKernels {
  loaded ??= createRequire(import.meta.url)(nativeKernelsPath()) as NativeKernels;
  return loaded;
}
