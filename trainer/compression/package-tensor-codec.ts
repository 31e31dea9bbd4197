import { tensorSections, type ByteSection, type Int8Quantization, type TensorEntry } from '../../shared/model-package.js';
import { csrGeometry, csrToDense, denseToCsr, type CsrTensor } from './csr-tensor.js';
import { float16ToFloat32, float32ToFloat16 } from './float16.js';
import { dequantizeInt8, quantizeInt8, type Int8Scheme } from './int8-quantization.js';
import { isPrunable, type NamedTensor } from './magnitude-pruning.js';

/** How one tensor is stored in a package. */
export type TensorEncodingChoice =
  | { encoding: 'float32' }
  | { encoding: 'float16' }
  | { encoding: 'int8'; scheme: Int8Scheme }
  /** Sparse rows; with `scheme`, the stored values are int8 (per-channel means per column). */
  | { encoding: 'csr'; scheme?: Int8Scheme };

/** A tensor's entry with its sections numbered from 0 in `bytes`, before the writer places it. */
export interface EncodedTensor {
  entry: TensorEntry;
  /** One byte array per section, in `tensorSections(entry)` order. */
  bytes: Uint8Array[];
}

const bytesOf = (a: Float32Array | Uint16Array | Uint32Array | Int8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const section = (length: number): ByteSection => ({ offset: 0, length });

export function encodeTensor(t: NamedTensor, how: TensorEncodingChoice): EncodedTensor {
  const { name, shape, values } = t;
  switch (how.encoding) {
    case 'float32':
      return { entry: { name, shape, encoding: 'float32', data: section(values.byteLength) }, bytes: [bytesOf(values)] };
    case 'float16': {
      const halves = float32ToFloat16(values);
      return { entry: { name, shape, encoding: 'float16', data: section(halves.byteLength) }, bytes: [bytesOf(halves)] };
    }
    case 'int8': {
      const q = quantizeInt8(values, shape, how.scheme);
      return { entry: { name, shape, encoding: 'int8', quantization: q.quantization, data: section(q.values.length) }, bytes: [bytesOf(q.values)] };
    }
    case 'csr': {
      const { csr, quantization } = how.scheme ? csrOfInt8(t, how.scheme) : { csr: denseToCsr(values, shape), quantization: undefined };
      return {
        entry: {
          name,
          shape,
          encoding: 'csr',
          nnz: csr.values.length,
          indexType: csr.colIdx instanceof Uint16Array ? 'uint16' : 'uint32',
          valueType: how.scheme ? 'int8' : 'float32',
          ...(quantization ? { quantization } : {}),
          rowPtr: section(csr.rowPtr.byteLength),
          colIdx: section(csr.colIdx.byteLength),
          values: section(csr.values.byteLength),
        },
        bytes: [bytesOf(csr.rowPtr), bytesOf(csr.colIdx), bytesOf(csr.values)],
      };
    }
  }
}

/** Quantizes the dense tensor (zeros stay exact: 0 is always representable) and keeps the entries that are not their column's zero point. */
function csrOfInt8(t: NamedTensor, scheme: Int8Scheme): { csr: CsrTensor<Int8Array>; quantization: Int8Quantization } {
  // CSR's columns are the last axis, so per-channel scales follow them.
  const q = quantizeInt8(t.values, t.shape, scheme.granularity === 'per-channel' ? { ...scheme, axis: t.shape.length - 1 } : scheme);
  return { csr: denseToCsr(q.values, t.shape, zeroPointOf(q.quantization)), quantization: q.quantization };
}

const zeroPointOf = (q: Int8Quantization) => (col: number) => q.zeroPoints[q.granularity === 'per-channel' ? col : 0]!;

/** A tensor's float32 values from the weights file: float16 widened, int8 dequantized, CSR made dense. */
export function decodeTensor(entry: TensorEntry, weights: Uint8Array): NamedTensor {
  const { name, shape } = entry;
  const [first, second, third] = tensorSections(entry).map(({ section: s }) => weights.slice(s.offset, s.offset + s.length));
  switch (entry.encoding) {
    case 'float32':
      return { name, shape, values: new Float32Array(first!.buffer) };
    case 'float16':
      return { name, shape, values: float16ToFloat32(new Uint16Array(first!.buffer)) };
    case 'int8':
      return { name, shape, values: dequantizeInt8({ shape, values: new Int8Array(first!.buffer), quantization: entry.quantization }) };
    case 'csr': {
      const { rows, cols } = csrGeometry(shape);
      const rowPtr = new Uint32Array(first!.buffer);
      const colIdx = entry.indexType === 'uint16' ? new Uint16Array(second!.buffer) : new Uint32Array(second!.buffer);
      const q = entry.quantization;
      if (!q) return { name, shape, values: csrToDense({ shape, rows, cols, rowPtr, colIdx, values: new Float32Array(third!.buffer) }) };
      const dense = csrToDense({ shape, rows, cols, rowPtr, colIdx, values: new Int8Array(third!.buffer) }, zeroPointOf(q));
      return { name, shape, values: dequantizeInt8({ shape, values: dense, quantization: q }) };
    }
  }
}

/** One way to store a whole model: the encoding its kernels get. */
export type ModelEncoding = 'float32' | 'float16' | { int8: Int8Scheme } | { csr: Int8Scheme | 'float32' };

/**
 * Encodes a model's parameters: kernels as `encoding` says; biases (a fraction of a percent of
 * the parameters, added after the product) stay float32, or float16 in a float16 model.
 */
export function encodeModelTensors(tensors: readonly NamedTensor[], encoding: ModelEncoding): EncodedTensor[] {
  return tensors.map((t) => {
    const kernel = isPrunable(t.name, t.shape);
    if (encoding === 'float32' || (!kernel && encoding !== 'float16')) return encodeTensor(t, { encoding: 'float32' });
    if (encoding === 'float16') return encodeTensor(t, { encoding: 'float16' });
    if ('int8' in encoding) return encodeTensor(t, { encoding: 'int8', scheme: encoding.int8 });
    return encodeTensor(t, encoding.csr === 'float32' ? { encoding: 'csr' } : { encoding: 'csr', scheme: encoding.csr });
  });
}
