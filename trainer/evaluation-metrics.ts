import type { ClassMetrics } from '../shared/evaluation.js';

/** Counts with rows = true class, columns = predicted class. */
export function confusionMatrix(trueClasses: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < trueClasses.length; i++) m[trueClasses[i]!]![predicted[i]!]!++;
  return m;
}

/** Precision, recall, F1 and support per class; a class never predicted (or absent) scores 0, as scikit-learn's zero_division=0. */
export function classMetrics(confusion: number[][], classNames: readonly string[]): ClassMetrics[] {
  return confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((sum, r) => sum + r[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { className: classNames[c] ?? `class ${c}`, precision, recall, f1, support };
  });
}

export function accuracyOf(confusion: number[][]): number {
  let diagonal = 0;
  let total = 0;
  confusion.forEach((row, i) => row.forEach((n, j) => ((total += n), i === j && (diagonal += n))));
  return total === 0 ? 0 : diagonal / total;
}

export interface ResidualStats {
  mae: number;
  rmse: number;
  r2: number;
  meanResidual: number;
  maxAbsResidual: number;
}

/** Residual figures of predicted against actual values. */
export function residualStats(actual: ArrayLike<number>, predicted: ArrayLike<number>): ResidualStats {
  const n = actual.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]! / n;
  let abs = 0;
  let squares = 0;
  let total = 0;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const r = predicted[i]! - actual[i]!;
    abs += Math.abs(r);
    squares += r * r;
    sum += r;
    max = Math.max(max, Math.abs(r));
    total += (actual[i]! - mean) ** 2;
  }
  return {
    mae: abs / n,
    rmse: Math.sqrt(squares / n),
    r2: total === 0 ? (squares === 0 ? 1 : 0) : 1 - squares / total,
    meanResidual: sum / n,
    maxAbsResidual: max,
  };
}

/** Up to `limit` indices of 0…n−1, evenly spaced, first and order kept. */
export function evenlySpaced(n: number, limit: number): number[] {
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: limit }, (_, i) => Math.floor((i * n) / limit));
}
