import { describe, expect, it } from 'vitest';
import { debiasedEma } from '../../host/series/debiased-ema.js';

describe('debiased EMA (TensorBoard smoothing)', () => {
  it('starts at the first value instead of near zero', () => {
    expect([...debiasedEma([10, 10, 10], 0.9)]).toEqual([expect.closeTo(10, 12), expect.closeTo(10, 12), expect.closeTo(10, 12)]);
  });

  it('weights older values less, skips missing values, and leaves values alone at weight 0', () => {
    expect([...debiasedEma([1, NaN, 3], 0.5)]).toEqual([1, NaN, expect.closeTo(7 / 3, 12)]);
    expect([...debiasedEma([1, 3], 0)]).toEqual([1, 3]);
  });
});
