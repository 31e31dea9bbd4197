import { describe, expect, it } from 'vitest';
import { pairedDifference } from '../../bench/paired-difference.js';

describe('pairedDifference', () => {
  it('judges the mean gain against the standard error of the per-seed differences', () => {
    // Differences 0.01, 0.02, 0.03: mean 0.02, sample sd 0.01, standard error 0.01/√3.
    const result = pairedDifference([
      { seed: 1, baseline: 0.8, treated: 0.81 },
      { seed: 2, baseline: 0.7, treated: 0.72 },
      { seed: 3, baseline: 0.9, treated: 0.93 },
    ]);
    expect(result.meanGain).toBeCloseTo(0.02, 12);
    expect(result.standardError).toBeCloseTo(0.01 / Math.sqrt(3), 12);
    expect(result.pairs.map((p) => p.difference)).toEqual([expect.closeTo(0.01, 12), expect.closeTo(0.02, 12), expect.closeTo(0.03, 12)]);
    expect(result.meanBaseline).toBeCloseTo(0.8, 12);
    expect(result.met).toBe(true);
  });

  it('fails a gain no larger than its noise, however large the seed-to-seed spread it shares', () => {
    const result = pairedDifference([
      { seed: 1, baseline: 0.6, treated: 0.62 },
      { seed: 2, baseline: 0.9, treated: 0.89 },
      { seed: 3, baseline: 0.75, treated: 0.76 },
    ]);
    expect(result.meanGain).toBeCloseTo(0.02 / 3, 12);
    expect(result.met).toBe(false);
  });

  it('refuses a single pair, which has no standard error', () => {
    expect(() => pairedDifference([{ seed: 1, baseline: 0.8, treated: 0.82 }])).toThrow(/at least 2 pairs/);
  });
});
