import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  engine,
  findBackendFactory,
  FusedConv2D,
  _FusedMatMul,
  getKernel,
  getKernelsForBackend,
  Identity,
  MaxPool,
  MaxPoolGrad,
  registerBackend,
  registerKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BiasReluGrad, registerMatrixDense } from './fused-layer-kernels.js';
import { SoftmaxCrossEntropy } from './softmax-cross-entropy.js';
import type { Geometry, NativeKernels } from './native-kernels.js';

/** The backend's name in the chain, the UI, the CLI and the logs. */
export const HPC_NATIVE = 'hpc-native';

/** A kernel's answer for what it takes, or undefined to leave the call to the wasm backend's own kernel. */
type NativeKernelFunc = (k: NativeKernels, inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap, backend: BackendWasm) => TensorInfo | undefined;

const f32 = (backend: BackendWasm, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
const allFloat = (...ts: (TensorInfo | undefined)[]) => ts.every((t) => t === undefined || t.dtype === 'float32');
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

function geometry(i: backend_util.Conv2DInfo): Geometry {
  return Int32Array.of(
    i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.filterHeight, i.filterWidth, i.outChannels,
    i.outHeight, i.outWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left, i.dilationHeight, i.dilationWidth,
  );
}

type Shape4 = [number, number, number, number];

function convInfo(xShape: number[], filterShape: number[], attrs: NamedAttrMap, dilations: number | [number, number] = 1) {
  const a = attrs as unknown as { strides: number | [number, number]; pad: backend_util.PadInfo['type'] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  return backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides, dilations, a.pad as 'valid', a.dimRoundingMode, false, 'channelsLast');
}

const nhwc = (attrs: NamedAttrMap) => (attrs.dataFormat ?? 'NHWC') === 'NHWC';

/**
 * A number per tensor buffer (dataIds are unique objects, never reused), so the native side can
 * tell that a filter gradient's input is the very one a forward convolution just unfolded.
 */
const tokens = new WeakMap<object, number>();
let lastToken = 0;
function tokenOf(dataId: object): number {
  let token = tokens.get(dataId);
  if (token === undefined) tokens.set(dataId, (token = ++lastToken));
  return token;
}
/** Only while gradients are recorded will a filter gradient follow; inference keeps nothing. */
const recordingGradients = () => engine().state.gradientDepth > 0;

function conv(k: NativeKernels, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, activation: string, attrs: NamedAttrMap, backend: BackendWasm) {
  const act = ACTIVATIONS[activation];
  if (act === undefined || !nhwc(attrs) || !allFloat(x, filter, bias)) return undefined;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations as [number, number]);
  if (bias && bias.shape.reduce((a, b) => a * b, 1) !== info.outChannels) return undefined;
  // Output first: a heap growth while allocating it would detach views taken earlier.
  const y = backend.makeOutput(info.outShape, 'float32');
  k.conv2d(f32(backend, x), f32(backend, filter), f32(backend, y), geometry(info), bias ? f32(backend, bias) : null, act, recordingGradients() ? tokenOf(x.dataId) : 0);
  return y;
}

function matmul(k: NativeKernels, a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, activation: string, attrs: NamedAttrMap, backend: BackendWasm) {
  const act = ACTIVATIONS[activation];
  if (act === undefined || !allFloat(a, b, bias) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, innerA] = transposeA ? [ca, ra] : [ra, ca];
  const [innerB, n] = transposeB ? [cb, rb] : [rb, cb];
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const batchA = leadA.reduce((x, y) => x * y, 1);
  const batchB = leadB.reduce((x, y) => x * y, 1);
  const lead = batchA === 1 ? (batchB === 1 && leadA.length > leadB.length ? leadA : leadB) : batchB === 1 || sameShape(leadA, leadB) ? leadA : undefined;
  if (innerA !== innerB || lead === undefined || (bias && bias.shape.reduce((x, y) => x * y, 1) !== n)) return undefined;
  const out = backend.makeOutput([...lead, m, n], 'float32');
  const shape = Int32Array.of(batchA, batchB, m, n, innerA, transposeA ? 1 : 0, transposeB ? 1 : 0, act);
  k.matmul(f32(backend, a), f32(backend, b), f32(backend, out), shape, bias ? f32(backend, bias) : null);
  return out;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function poolInfo(x: TensorInfo, attrs: NamedAttrMap) {
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  return backend_util.computePool2DInfo(x.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
}

const KERNELS: Record<string, NativeKernelFunc> = {
  // The engine clones every tensor a gradient saves; wasm's Identity copies it, this shares it
  // (tensors are immutable; in-place Adam checks the reference count before it writes).
  [Identity]: (_, { x }, __, backend) => {
    if (x!.dtype === 'string') return undefined;
    backend.incRef(x!.dataId);
    return { dataId: x!.dataId, shape: x!.shape, dtype: x!.dtype };
  },
  [Conv2D]: (k, { x, filter }, attrs, backend) => conv(k, x!, filter!, undefined, 'linear', attrs, backend),
  [FusedConv2D]: (k, { x, filter, bias, preluActivationWeights }, attrs, backend) =>
    preluActivationWeights ? undefined : conv(k, x!, filter!, bias, attrs.activation as string, attrs, backend),
  [Conv2DBackpropInput]: (k, { dy, filter }, attrs, backend) => {
    if (!nhwc(attrs) || !allFloat(dy, filter)) return undefined;
    const info = convInfo(attrs.inputShape as number[], filter!.shape, attrs);
    const dx = backend.makeOutput(info.inShape, 'float32');
    k.conv2dBackpropInput(f32(backend, dy!), f32(backend, filter!), f32(backend, dx), geometry(info));
    return dx;
  },
  [Conv2DBackpropFilter]: (k, { x, dy }, attrs, backend) => {
    if (!nhwc(attrs) || !allFloat(x, dy)) return undefined;
    const info = convInfo(x!.shape, attrs.filterShape as number[], attrs);
    const dw = backend.makeOutput(info.filterShape, 'float32');
    k.conv2dBackpropFilter(f32(backend, x!), f32(backend, dy!), f32(backend, dw), geometry(info), tokens.get(x!.dataId) ?? 0);
    return dw;
  },
  [BatchMatMul]: (k, { a, b }, attrs, backend) => matmul(k, a!, b!, undefined, 'linear', attrs, backend),
  [_FusedMatMul]: (k, { a, b, bias, preluActivationWeights }, attrs, backend) =>
    preluActivationWeights ? undefined : matmul(k, a!, b!, bias, attrs.activation as string, attrs, backend),
  [MaxPool]: (k, { x }, attrs, backend) => {
    if (!allFloat(x)) return undefined;
    const info = poolInfo(x!, attrs);
    const y = backend.makeOutput(info.outShape, 'float32');
    k.maxPool(f32(backend, x!), f32(backend, y), geometry(info));
    return y;
  },
  [MaxPoolGrad]: (k, { dy, input }, attrs, backend) => {
    if (!allFloat(dy, input)) return undefined;
    const info = poolInfo(input!, attrs);
    const dx = backend.makeOutput(input!.shape, 'float32');
    k.maxPoolGrad(f32(backend, dy!), f32(backend, input!), f32(backend, dx), geometry(info));
    return dx;
  },
};

/** Kernels of the fused layers that only this backend has; elsewhere they are composed of ops. */
const nativeOnly = (k: NativeKernels): KernelConfig[] => [
  {
    kernelName: BiasReluGrad,
    backendName: HPC_NATIVE,
    kernelFunc: ({ inputs, backend: anyBackend }) => {
      const backend = anyBackend as BackendWasm;
      const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
      const channels = y.shape[y.shape.length - 1]!;
      const masked = backend.makeOutput(y.shape, 'float32');
      const dBias = backend.makeOutput([channels], 'float32');
      k.biasReluGrad(f32(backend, dy), f32(backend, y), f32(backend, masked), f32(backend, dBias));
      return [masked, dBias];
    },
  },
  {
    kernelName: SoftmaxCrossEntropy,
    backendName: HPC_NATIVE,
    kernelFunc: ({ inputs, backend: anyBackend }) => {
      const backend = anyBackend as BackendWasm;
      const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
      const lossAndHits = backend.makeOutput([2], 'float32');
      const dlogits = backend.makeOutput(logits.shape, 'float32');
      k.softmaxCrossEntropy(f32(backend, logits), backend.typedArrayFromHeap(labels) as Int32Array, f32(backend, dlogits), f32(backend, lossAndHits));
      return [lossAndHits, dlogits];
    },
  },
];

/**
 * Registers `hpc-native`: the wasm backend (its memory, and its kernels for everything else) with
 * the compute-heavy kernels replaced by the native ones, which read and write the wasm heap in
 * place. Call after the wasm backend is registered and its kernels are complete; idempotent.
 */
export function registerHpcNativeBackend(native: NativeKernels): void {
  if (findBackendFactory(HPC_NATIVE)) return;
  const wasmFactory = findBackendFactory('wasm');
  if (!wasmFactory) throw new Error('the wasm backend is not registered');
  for (const name of Object.keys(KERNELS)) {
    if (!getKernel(name, 'wasm')) throw new Error(`the wasm backend has no ${name} kernel to fall back on`);
  }
  // A backend of its own (not wasm's) so the name in the logs says which kernels ran.
  registerBackend(HPC_NATIVE, wasmFactory, 0);
  for (const kernel of nativeOnly(native)) registerKernel(kernel);
  registerMatrixDense(HPC_NATIVE, ({ inputs, attrs, backend }) => {
    const { a, b, bias } = inputs as Record<string, TensorInfo>;
    const product = matmul(native, a!, b!, bias, 'relu', attrs ?? {}, backend as BackendWasm);
    if (!product) throw new Error('DenseBiasRelu on hpc-native takes float32 matrices of matching inner size');
    return product;
  });
  for (const kernel of getKernelsForBackend('wasm')) {
    if (getKernel(kernel.kernelName, HPC_NATIVE)) continue;
    const fast = KERNELS[kernel.kernelName];
    registerKernel({ ...kernel, backendName: HPC_NATIVE, kernelFunc: fast ? withFallback(native, fast, kernel) : kernel.kernelFunc });
  }
}

function withFallback(native: NativeKernels, run: NativeKernelFunc, wasm: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    return run(native, args.inputs as Record<string, TensorInfo>, args.attrs ?? {}, backend) ?? wasm.kernelFunc(args);
  };
}
