import { describe, expect, it } from 'vitest';
import { debiasedEma } from '../../renderer/src/series/debiased-ema.js';

describe('debiased EMA smoothing (as TensorBoard does it)', () => {
  it('starts at the first value instead of near zero', () => {
    const smoothed = debiasedEma([[1, 10, 0], [2, 10, 0], [3, 10, 0]], 0.9);
    expect(smoothed.map(([, v]) => v)).toEqual([10, expect.closeTo(10, 9), expect.closeTo(10, 9)]);
  });

  it('follows the formula, and weight 0 leaves the curve as it was', () => {
    const raw: [number, number, number][] = [[1, 1, 0], [2, 3, 0]];
    // average: 0.5·1 = 0.5 → 0.5/(1−0.5) = 1; then 0.5·0.5 + 0.5·3 = 1.75 → 1.75/(1−0.25) = 7/3
    expect(debiasedEma(raw, 0.5).map(([, v]) => v)).toEqual([1, expect.closeTo(7 / 3, 12)]);
    expect(debiasedEma(raw, 0)).toEqual(raw);
  });
});
