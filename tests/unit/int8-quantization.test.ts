import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { dequantizeInt8, quantizeInt8, restorationError, roundHalfToEven, type Int8Scheme } from '../../trainer/compression/int8-quantization.js';

/** A dense kernel [4, 4] whose columns (output channels) are: zeros, a constant, negative-only, one large outlier. */
const KERNEL_SHAPE = [4, 4];
const KERNEL = Float32Array.from([
  [0, 0.5, -0.1, 0.01],
  [0, 0.5, -0.7, -0.02],
  [0, 0.5, -0.3, 100],
  [0, 0.5, -0.05, 0.03],
].flat());

const column = (values: Float32Array, c: number) => Float32Array.from({ length: 4 }, (_, r) => values[r * 4 + c]!);

/** |x − deq(q(x))| ≤ scale/2, allowing for the float32 rounding of the restored value. */
function expectWithinHalfStep(original: Float32Array, restored: Float32Array, scaleOf: (i: number) => number) {
  for (let i = 0; i < original.length; i++) {
    const bound = scaleOf(i) / 2 + Math.abs(original[i]!) * 2 ** -23;
    if (Math.abs(original[i]! - restored[i]!) > bound) expect.fail(`value ${i}: ${original[i]} came back as ${restored[i]}, more than half a step (${scaleOf(i) / 2}) away`);
  }
}

const SCHEMES: Int8Scheme[] = [
  { granularity: 'per-channel', symmetric: true },
  { granularity: 'per-channel', symmetric: false },
  { granularity: 'per-tensor', symmetric: true },
  { granularity: 'per-tensor', symmetric: false },
];

describe('int8 quantization', () => {
  for (const scheme of SCHEMES) {
    it(`${scheme.granularity} ${scheme.symmetric ? 'symmetric' : 'asymmetric'}: every value within half a step, zero exact`, () => {
      const q = quantizeInt8(KERNEL, KERNEL_SHAPE, scheme);
      const restored = dequantizeInt8(q);
      const scaleOf = (i: number) => q.quantization.scales[scheme.granularity === 'per-channel' ? i % 4 : 0]!;
      expectWithinHalfStep(KERNEL, restored, scaleOf);
      for (let i = 0; i < KERNEL.length; i++) if (KERNEL[i] === 0) expect(restored[i]).toBe(0);
      if (scheme.symmetric) expect(q.quantization.zeroPoints.every((z) => z === 0)).toBe(true);
      expect(Math.max(...q.values)).toBeLessThanOrEqual(127);
      expect(Math.min(...q.values)).toBeGreaterThanOrEqual(scheme.symmetric ? -127 : -128);
    });
  }

  it('per-channel keeps a channel of zeros and a constant channel exact, and an outlier costs only its own channel', () => {
    for (const symmetric of [true, false]) {
      const q = quantizeInt8(KERNEL, KERNEL_SHAPE, { granularity: 'per-channel', symmetric });
      const restored = dequantizeInt8(q);
      expect(q.quantization.axis).toBe(1);
      expect(q.quantization.scales).toHaveLength(4);
      expect(Array.from(column(restored, 0))).toEqual([0, 0, 0, 0]);
      expect(Array.from(column(restored, 1))).toEqual([0.5, 0.5, 0.5, 0.5]);
      const negative = restorationError('negative', column(KERNEL, 2), column(restored, 2));
      expect(negative.maxAbsError).toBeLessThanOrEqual(0.7 / 127 / 2 + 1e-7);
    }
    const perTensor = dequantizeInt8(quantizeInt8(KERNEL, KERNEL_SHAPE, { granularity: 'per-tensor', symmetric: true }));
    // One scale for the whole tensor is set by the outlier (100/127), so the 0.5 column is off by up to a third of a step.
    expect(restorationError('constant', column(KERNEL, 1), column(perTensor, 1)).maxAbsError).toBeGreaterThan(0.1);
  });

  it('asymmetric uses the whole −128…127 range for a negative-only channel', () => {
    const values = Float32Array.from([-1, -0.5, -0.25, -0.75]);
    const q = quantizeInt8(values, [4], { granularity: 'per-tensor', symmetric: false });
    expect(q.quantization.zeroPoints[0]).toBe(126);
    expect(Math.min(...q.values)).toBe(-128);
    expectWithinHalfStep(values, dequantizeInt8(q), () => q.quantization.scales[0]!);
    const symmetric = quantizeInt8(values, [4], { granularity: 'per-tensor', symmetric: true });
    expect(q.quantization.scales[0]).toBeLessThan(symmetric.quantization.scales[0]!);
  });

  it('takes the last axis of a conv filter [h, w, in, out] as its channels, one scale of max|w|/127 each', () => {
    const shape = [3, 3, 2, 4];
    const random = seededRandom(3);
    const values = Float32Array.from({ length: 72 }, (_, i) => (random() - 0.5) * (1 + (i % 4)));
    const q = quantizeInt8(values, shape);
    expect(q.quantization).toMatchObject({ granularity: 'per-channel', axis: 3 });
    for (let c = 0; c < 4; c++) {
      const maxAbs = Math.max(...Array.from(values.filter((_, i) => i % 4 === c), Math.abs));
      expect(q.quantization.scales[c]).toBeCloseTo(maxAbs / 127, 12);
    }
    expectWithinHalfStep(values, dequantizeInt8(q), (i) => q.quantization.scales[i % 4]!);
    const alongInputs = quantizeInt8(values, shape, { granularity: 'per-channel', symmetric: true, axis: 2 });
    expectWithinHalfStep(values, dequantizeInt8(alongInputs), (i) => alongInputs.quantization.scales[Math.floor(i / 4) % 2]!);
  });

  it('rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfToEven)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]);
    // max|x| = 127 makes the scale exactly 1, so these values sit on halves.
    const q = quantizeInt8(Float32Array.from([127, 0.5, 1.5, 2.5, -2.5, -3.5]), [6], { granularity: 'per-tensor', symmetric: true });
    expect(q.quantization.scales).toEqual([1]);
    expect(Array.from(q.values)).toEqual([127, 0, 2, 2, -2, -4]);
  });

  it('keeps a trained-size kernel close: relative RMSE well under 1 %', () => {
    const random = seededRandom(11);
    const values = Float32Array.from({ length: 784 * 256 }, () => (random() + random() + random() - 1.5) * 0.05);
    const q = quantizeInt8(values, [784, 256]);
    const error = restorationError('dense1/kernel', values, dequantizeInt8(q));
    expect(error.relativeRmse).toBeLessThan(0.01);
    expectWithinHalfStep(values, dequantizeInt8(q), (i) => q.quantization.scales[i % 256]!);
  });

  it('measures the error as max, RMSE and RMSE relative to the tensor', () => {
    const error = restorationError('t', Float32Array.from([1, -1, 2, 0]), Float32Array.from([1, -0.5, 2, 0.5]));
    expect(error.maxAbsError).toBe(0.5);
    expect(error.rmse).toBeCloseTo(Math.sqrt(0.5 / 4), 12);
    expect(error.relativeRmse).toBeCloseTo(Math.sqrt(0.5 / 4) / Math.sqrt(6 / 4), 12);
    expect(restorationError('zeros', new Float32Array(3), new Float32Array(3)).relativeRmse).toBe(0);
  });

  it('refuses values it cannot represent and a shape that does not fit', () => {
    expect(() => quantizeInt8(Float32Array.from([1, NaN]), [2])).toThrow(/value 1 is NaN/);
    expect(() => quantizeInt8(Float32Array.from([1, Infinity]), [2])).toThrow(/finite/);
    expect(() => quantizeInt8(new Float32Array(6), [2, 2])).toThrow(/holds 4 values, got 6/);
    expect(() => quantizeInt8(new Float32Array(4), [2, 2], { granularity: 'per-channel', symmetric: true, axis: 2 })).toThrow(/axis must be an integer from 0 to 1/);
  });
});
