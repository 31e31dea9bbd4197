import {
  backend_util,
  Conv2DBackpropFilter,
  getKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** Runs another wasm kernel directly on tensor infos, as kernels compose inside a backend. */
function run(name: string, backend: KernelBackend, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * The filter gradient of a 2-D convolution, which the wasm backend lacks, built from its own
 * fast forward Conv2D: dW[kh,kw,ci,co] = Σ x[n, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[n, oh, ow, co]
 * is a convolution of x (batch and channel axes swapped) with dy (batch moved to the
 * input-channel axis) dilated by the stride, transposed back.
 */
export const wasmConv2DBackpropFilter: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as KernelBackend;
    const { x, dy } = inputs as Conv2DBackpropFilterInputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, not ${dataFormat}`);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const [kh, kw, ci, co] = filterShape;
    const { top, bottom, left, right } = info.padInfo;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);

    const xT = keep(run('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    let grad = keep(
      run('Conv2D', backend, { x: xT, filter: dyT }, {
        strides: [1, 1],
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
        dataFormat: 'NHWC',
        dilations: [info.strideHeight, info.strideWidth],
      } as unknown as NamedAttrMap),
    );
    // With a stride, the dilated convolution can overhang the filter by a few positions.
    if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
      grad = keep(run('Slice', backend, { x: grad }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }));
    }
    const result = run('Transpose', backend, { x: grad }, { perm: [1, 2, 0, 3] });
    for (const t of temps) backend.disposeData(t.dataId);
    return result;
  },
};
