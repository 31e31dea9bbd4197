/** One seed's two arms, trained alike but for the treatment. */
export interface SeedPair {
  seed: number;
  baseline: number;
  treated: number;
}

/**
 * The treatment's mean gain over paired runs and the standard error of that mean (sample standard
 * deviation of the differences / √n). Pairing by seed removes the seed-to-seed spread both arms
 * share, so the gain is judged against the spread of the differences alone. Clear when the mean
 * gain exceeds `standardErrors` of them.
 */
export function pairedDifference(pairs: readonly SeedPair[], standardErrors = 2) {
  if (pairs.length < 2) throw new Error(`a standard error needs at least 2 pairs (got ${pairs.length})`);
  const n = pairs.length;
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const differences = pairs.map((p) => p.treated - p.baseline);
  const meanGain = mean(differences);
  const variance = differences.reduce((sum, d) => sum + (d - meanGain) ** 2, 0) / (n - 1);
  const standardError = Math.sqrt(variance / n);
  return {
    pairs: pairs.map((p, i) => ({ ...p, difference: differences[i]! })),
    meanBaseline: mean(pairs.map((p) => p.baseline)),
    meanTreated: mean(pairs.map((p) => p.treated)),
    meanGain,
    standardError,
    bar: `mean gain > ${standardErrors} × standard error`,
    met: meanGain > standardErrors * standardError,
  };
}
