import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  _FusedMatMul,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type GradConfig,
  type KernelFunc,
  type NamedAttrMap,
} from '@tensorflow/tfjs-core';
import { BACKEND_NAMES } from '../../shared/trainer-protocol.js';

/**
 * Layers that add a bias and apply a ReLU inside the convolution's or product's own pass, in
 * training too. TensorFlow.js's fused ops fall back to separate conv, add and relu ops whenever
 * gradients are recorded (its `shouldFuse`), so each training step paid three extra passes over
 * every activation plus an Identity copy and a transposing Sum in the backward pass. These run
 * each backend's own FusedConv2D / _FusedMatMul forward and a gradient that derives the bias
 * gradient and the ReLU mask in one pass where the backend has a kernel for it (hpc-native).
 */
export const ConvBiasRelu = 'HpcConv2DBiasRelu';
export const DenseBiasRelu = 'HpcDenseBiasRelu';
/** Inputs {dy, y} (y the ReLU's output) → [dy masked by y > 0, its sum over all but the last axis]. */
export const BiasReluGrad = 'HpcBiasReluGrad';

const CONV_ATTRS = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' } as const;
const DENSE_ATTRS = { transposeA: false, transposeB: false, activation: 'relu' } as const;

const engine = () => tf.engine();

/** conv2d (stride 1, valid) + bias + ReLU, NHWC; `filter` is [kh, kw, in, out]. */
export function convBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  registerFusedLayers();
  return engine().runKernel(ConvBiasRelu, { x, filter, bias }, CONV_ATTRS as unknown as NamedAttrMap) as tf.Tensor4D;
}

/** Backends with a DenseBiasRelu kernel of their own, which takes the matrices as they are. */
const matrixDense = new Set<string>();

export function registerMatrixDense(backendName: string, kernelFunc: KernelFunc): void {
  if (getKernel(DenseBiasRelu, backendName)) unregisterKernel(DenseBiasRelu, backendName);
  registerKernel({ kernelName: DenseBiasRelu, backendName, kernelFunc });
  matrixDense.add(backendName);
}

/** x · w + bias, then ReLU. */
export function denseBiasRelu(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  registerFusedLayers();
  if (matrixDense.has(tf.getBackend())) return engine().runKernel(DenseBiasRelu, { a: x, b: w, bias }, DENSE_ATTRS as unknown as NamedAttrMap) as tf.Tensor2D;
  // Backends' _FusedMatMul kernels take a batch of matrices, as tf.fused.matMul hands them.
  const [a, b] = [tf.expandDims(x, 0), tf.expandDims(w, 0)];
  const y = engine().runKernel(DenseBiasRelu, { a, b, bias }, DENSE_ATTRS as unknown as NamedAttrMap) as tf.Tensor3D;
  return tf.squeeze(y, [0]);
}

function biasReluGrad(dy: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (getKernel(BiasReluGrad, tf.getBackend())) return engine().runKernel(BiasReluGrad, { dy, y }) as unknown as [tf.Tensor, tf.Tensor];
  const masked = tf.mul(dy, tf.step(y));
  return [masked, tf.sum(masked, [...Array(y.rank - 1).keys()])];
}

const GRADIENTS: GradConfig[] = [
  {
    kernelName: ConvBiasRelu,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const [masked, dBias] = biasReluGrad(dy as tf.Tensor, y);
      const common = { strides: CONV_ATTRS.strides, pad: CONV_ATTRS.pad, dataFormat: CONV_ATTRS.dataFormat };
      return {
        x: () => engine().runKernel(Conv2DBackpropInput, { dy: masked, filter }, { ...common, inputShape: x.shape } as unknown as NamedAttrMap) as tf.Tensor,
        filter: () => engine().runKernel(Conv2DBackpropFilter, { x, dy: masked }, { ...common, filterShape: filter.shape } as unknown as NamedAttrMap) as tf.Tensor,
        bias: () => dBias,
      };
    },
  },
  {
    kernelName: DenseBiasRelu,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [a, b, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [masked, dBias] = biasReluGrad(dy as tf.Tensor, y);
      return {
        a: () => tf.matMul(masked, b, false, true),
        b: () => tf.matMul(a, masked, true, false),
        bias: () => dBias,
      };
    },
  },
];

/** Each backend's own fused kernel, looked up when called: hpc-native copies this registration from wasm. */
const forwardTo = (fused: string): KernelFunc => (args) => {
  const kernel = getKernel(fused, tf.getBackend());
  if (!kernel) throw new Error(`the ${tf.getBackend()} backend has no ${fused} kernel`);
  return kernel.kernelFunc(args);
};

let registered = false;

/** Registers the layers for every backend in the chain; idempotent. */
function registerFusedLayers(): void {
  if (registered) return;
  registered = true;
  for (const backendName of BACKEND_NAMES) {
    registerKernel({ kernelName: ConvBiasRelu, backendName, kernelFunc: forwardTo(FusedConv2D) });
    if (!matrixDense.has(backendName)) registerKernel({ kernelName: DenseBiasRelu, backendName, kernelFunc: forwardTo(_FusedMatMul) });
  }
  for (const gradient of GRADIENTS) registerGradient(gradient);
}
