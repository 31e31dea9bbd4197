import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { wasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.js';

/** Gradient kernels the wasm backend lacks and the models need. */
const KERNELS: KernelConfig[] = [wasmConv2DBackpropFilter];

/** Registers each one the installed wasm backend does not already provide; idempotent. */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const kernel of KERNELS) {
    if (getKernel(kernel.kernelName, 'wasm')) continue;
    registerKernel(kernel);
    added.push(kernel.kernelName);
  }
  return added;
}
