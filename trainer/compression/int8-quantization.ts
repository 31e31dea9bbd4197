import type { Int8Quantization, TensorError } from '../../shared/model-package.js';

/** How to quantize: one scale for the tensor or one per output channel; zero point 0 or fitted. */
export interface Int8Scheme {
  granularity: 'per-tensor' | 'per-channel';
  symmetric: boolean;
  /** The channel axis for per-channel; default the last (a dense kernel's `out`, a conv filter's `out`). */
  axis?: number;
}

export const DEFAULT_INT8_SCHEME: Int8Scheme = { granularity: 'per-channel', symmetric: true };

export interface Int8Tensor {
  shape: number[];
  values: Int8Array;
  quantization: Int8Quantization;
}

/**
 * Rounds x / scale half to even (as numpy and IEEE do), so a value midway between two steps
 * goes to the even one and no direction is favoured over a tensor.
 *
 * Symmetric: scale = max|x| / 127 per channel, zero point 0, q in −127…127.
 * Asymmetric: the range [min(x, 0), max(x, 0)] (zero always inside, so 0 is exact) over
 * −128…127, the zero point rounded to an integer, then the scale widened just enough that the
 * rounded zero point's range still covers both ends.
 * Either way nothing is clipped, so |x − dequantize(q)| ≤ scale / 2 for every value (plus the
 * half-ulp of storing the result as float32). A channel of zeros gets scale 1 and restores exactly;
 * a constant channel restores exactly.
 */
export function quantizeInt8(values: Float32Array, shape: readonly number[], scheme: Int8Scheme = DEFAULT_INT8_SCHEME): Int8Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${size} values, got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new RangeError(`value ${i} is ${values[i]}: int8 quantization needs finite values`);
  }
  const perChannel = scheme.granularity === 'per-channel';
  const axis = perChannel ? (scheme.axis ?? shape.length - 1) : undefined;
  if (axis !== undefined && (!Number.isInteger(axis) || axis < 0 || axis >= shape.length)) {
    throw new RangeError(`axis must be an integer from 0 to ${shape.length - 1} for shape [${shape.join(', ')}], got ${axis}`);
  }
  const layout = channelLayout(shape, axis);
  const lo = new Float64Array(layout.channels).fill(Infinity);
  const hi = new Float64Array(layout.channels).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const c = layout.channelOf(i);
    const v = values[i]!;
    if (v < lo[c]!) lo[c] = v;
    if (v > hi[c]!) hi[c] = v;
  }
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  for (let c = 0; c < layout.channels; c++) {
    const [scale, zeroPoint] = scheme.symmetric ? symmetricRange(lo[c]!, hi[c]!) : asymmetricRange(lo[c]!, hi[c]!);
    scales.push(scale);
    zeroPoints.push(zeroPoint);
  }
  const [qmin, qmax] = scheme.symmetric ? [-127, 127] : [-128, 127];
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = layout.channelOf(i);
    q[i] = clamp(roundHalfToEven(values[i]! / scales[c]!) + zeroPoints[c]!, qmin, qmax);
  }
  return {
    shape: [...shape],
    values: q,
    quantization: { granularity: scheme.granularity, ...(axis !== undefined ? { axis } : {}), scales, zeroPoints },
  };
}

export function dequantizeInt8(tensor: Int8Tensor): Float32Array {
  const { shape, values, quantization: q } = tensor;
  const layout = channelLayout(shape, q.granularity === 'per-channel' ? q.axis : undefined);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = layout.channelOf(i);
    out[i] = (values[i]! - q.zeroPoints[c]!) * q.scales[c]!;
  }
  return out;
}

/** How far `restored` is from `original`: the largest and RMS difference, and the RMS relative to the original's. */
export function restorationError(name: string, original: Float32Array, restored: Float32Array): TensorError {
  let maxAbsError = 0;
  let squaredError = 0;
  let squared = 0;
  for (let i = 0; i < original.length; i++) {
    const d = Math.abs(original[i]! - restored[i]!);
    if (d > maxAbsError) maxAbsError = d;
    squaredError += d * d;
    squared += original[i]! * original[i]!;
  }
  const n = Math.max(original.length, 1);
  const rmse = Math.sqrt(squaredError / n);
  const rms = Math.sqrt(squared / n);
  return { name, maxAbsError, rmse, relativeRmse: rms > 0 ? rmse / rms : rmse > 0 ? Infinity : 0 };
}

/** Which channel flat index i belongs to along `axis` (one channel when no axis). */
export function channelLayout(shape: readonly number[], axis: number | undefined): { channels: number; channelOf: (i: number) => number } {
  if (axis === undefined) return { channels: 1, channelOf: () => 0 };
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return inner === 1 ? { channels, channelOf: (i) => i % channels } : { channels, channelOf: (i) => Math.floor(i / inner) % channels };
}

function symmetricRange(lo: number, hi: number): [number, number] {
  const maxAbs = Math.max(Math.abs(lo), Math.abs(hi));
  return [maxAbs > 0 ? maxAbs / 127 : 1, 0];
}

/** The asymmetric int8 scale and zero point of a range (always widened to contain 0, so 0 is exact). */
export function asymmetricRange(lo: number, hi: number): [number, number] {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  if (max === min) return [1, 0];
  // The zero point stays within −127…126 so both ends keep at least one step each side of zero.
  const zeroPoint = clamp(roundHalfToEven(-128 - min / ((max - min) / 255)), -127, 126);
  const scale = Math.max(max / (127 - zeroPoint), min / (-128 - zeroPoint));
  return [scale, zeroPoint];
}

export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
