import type { Point } from './run-timeline.js';

/**
 * TensorBoard's smoothing: an exponential moving average whose start-up bias toward zero is
 * divided out, so the first points are not dragged down. `weight` 0 returns the raw values.
 */
export function debiasedEma(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0) return points.slice();
  let average = 0;
  let n = 0;
  return points.map(([step, value, time]) => {
    if (!Number.isFinite(value)) return [step, value, time];
    average = average * weight + (1 - weight) * value;
    n++;
    return [step, average / (1 - weight ** n), time];
  });
}
