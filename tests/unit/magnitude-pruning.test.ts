import { describe, expect, it } from 'vitest';
import { applyMask, magnitudeMask, pruneByMagnitude, sparsityTable } from '../../trainer/compression/magnitude-pruning.js';
import { MLP_SHAPES, parameterTensors } from '../support/compression-fixtures.js';

const mlpTensors = (seed: number) => parameterTensors(MLP_SHAPES, seed);

describe('magnitude pruning', () => {
  it('zeroes exactly the smallest magnitudes', () => {
    const values = Float32Array.from([0.3, -0.1, 0.05, -0.9, 0.2, 0.7, -0.4, 0.01, 0.6, -0.25]);
    const mask = magnitudeMask(values, 0.5);
    expect(Array.from(applyMask(values, mask))).toEqual(Array.from(Float32Array.from([0.3, 0, 0, -0.9, 0, 0.7, -0.4, 0, 0.6, 0])));
    expect(values[1], 'the input is left as it was').toBe(Math.fround(-0.1));
  });

  it('breaks ties by position, so the count is exact even when every magnitude is equal', () => {
    const mask = magnitudeMask(Float32Array.from([1, -1, 1, -1, 1, -1, 1, -1]), 0.75);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
  });

  for (const sparsity of [0.5, 0.75, 0.9]) {
    it(`hits ${sparsity * 100} % in every kernel exactly, leaves biases dense and keeps the largest weights`, () => {
      const tensors = mlpTensors(1);
      const { tensors: pruned, masks } = pruneByMagnitude(tensors, sparsity);
      expect([...masks.keys()]).toEqual(['dense1/kernel', 'dense2/kernel', 'dense3/kernel']);
      for (const row of sparsityTable(pruned)) {
        if (row.prunable) expect(row.zeros, row.name).toBe(Math.round(sparsity * row.size));
        else expect(row.zeros, row.name).toBe(0);
      }
      pruned.forEach((t, i) => {
        if (!masks.has(t.name)) return expect(t).toBe(tensors[i]);
        let smallestKept = Infinity;
        let largestPruned = 0;
        t.values.forEach((v, j) => {
          if (v === 0) largestPruned = Math.max(largestPruned, Math.abs(tensors[i]!.values[j]!));
          else smallestKept = Math.min(smallestKept, Math.abs(v));
        });
        expect(smallestKept).toBeGreaterThanOrEqual(largestPruned);
      });
    });
  }

  it('takes one target per layer and leaves unnamed layers dense', () => {
    const { tensors } = pruneByMagnitude(mlpTensors(2), { 'dense1/kernel': 0.9, 'dense2/kernel': 0.5 });
    const table = Object.fromEntries(sparsityTable(tensors).map((r) => [r.name, r.sparsity]));
    expect(table['dense1/kernel']).toBeCloseTo(0.9, 5);
    expect(table['dense2/kernel']).toBe(0.5);
    expect(table['dense3/kernel']).toBe(0);
  });

  it('refuses a sparsity outside (0, 1), naming the accepted range', () => {
    for (const bad of [0, 1, 1.5, -0.1, NaN]) expect(() => magnitudeMask(new Float32Array(4), bad)).toThrow(/sparsity .* must be a number > 0 and < 1/);
  });
});
