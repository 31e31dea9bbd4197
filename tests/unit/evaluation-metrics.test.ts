import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { accuracyOf, classMetrics, confusionMatrix, evenlySpaced, residualStats } from '../../trainer/evaluation-metrics.js';
import { exampleImage } from '../../trainer/example-image.js';

describe('classification figures', () => {
  it('counts true classes by row and predictions by column, with P/R/F1 per class', () => {
    const m = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 1], 3);
    expect(m).toEqual([[2, 1, 0], [1, 1, 0], [0, 1, 0]]);
    expect(accuracyOf(m)).toBe(3 / 6);
    const [a, b, c] = classMetrics(m, ['a', 'b', 'c']);
    expect(a).toEqual({ className: 'a', precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
    expect(b).toMatchObject({ precision: 1 / 3, recall: 1 / 2, support: 2 });
    expect(b!.f1).toBeCloseTo(0.4, 12);
    // Never predicted: precision and F1 are 0, not NaN.
    expect(c).toEqual({ className: 'c', precision: 0, recall: 0, f1: 0, support: 1 });
  });
});

describe('regression figures', () => {
  it('MAE, RMSE, R², bias and the largest residual', () => {
    const s = residualStats([1, 2, 3, 4], [1.5, 2, 2, 4]);
    expect(s.mae).toBeCloseTo(1.5 / 4, 12);
    expect(s.rmse).toBeCloseTo(Math.sqrt(1.25 / 4), 12);
    expect(s.r2).toBeCloseTo(1 - 1.25 / 5, 12);
    expect(s.meanResidual).toBeCloseTo(-0.5 / 4, 12);
    expect(s.maxAbsResidual).toBe(1);
  });

  it('samples evenly when there are more points than the cap', () => {
    expect(evenlySpaced(3, 5)).toEqual([0, 1, 2]);
    expect(evenlySpaced(10, 4)).toEqual([0, 2, 5, 7]);
  });
});

describe('example images', () => {
  const decode = (url: string) => PNG.sync.read(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));

  it('maps standardised grey pixels back to 0–255', () => {
    const pixels = Float32Array.from([0, 0.5, 1, 0.25], (v) => (v - 0.3) / 0.4);
    const png = decode(exampleImage(pixels, [2, 2, 1], { mean: [0.3], std: [0.4] })!);
    expect([png.width, png.height]).toEqual([2, 2]);
    expect(Array.from(png.data.filter((_, i) => i % 4 === 0))).toEqual([0, 128, 255, 64]);
  });

  it('keeps RGB channels apart, stretching an image without statistics to its own range', () => {
    const png = decode(exampleImage(Float32Array.from([-1, 1, -1, 1, -1, -1]), [1, 2, 3])!);
    expect(Array.from(png.data)).toEqual([0, 255, 0, 255, 255, 0, 0, 255]);
  });

  it('gives nothing for inputs that are not images', () => {
    expect(exampleImage(new Float32Array(4), [4])).toBeNull();
  });
});
