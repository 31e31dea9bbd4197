/**
 * TensorBoard's smoothing: an exponential moving average whose start-up bias toward zero is
 * divided out, so the first points are not dragged down. NaN ("no value") passes through
 * without moving the average. `weight` 0 returns the raw values.
 */
export function debiasedEma(values: ArrayLike<number>, weight: number, count = values.length): Float64Array {
  const out = new Float64Array(count);
  let average = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || weight <= 0) {
      out[i] = v;
      continue;
    }
    average = average * weight + (1 - weight) * v;
    n++;
    out[i] = average / (1 - weight ** n);
  }
  return out;
}
