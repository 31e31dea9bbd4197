/**
 * M4 aggregation (Jugel et al., VLDB 2014): for each of `buckets` equal x columns keeps the
 * first, last, lowest and highest point, in their original order. A line through them draws
 * the same pixels as the raw line at that width, and no extreme (a one-step spike) is lost.
 * Points `lo..hi-1` must be sorted by x; NaN y means "no value here" and is skipped. Returns
 * flat [x, y, …] with x mapped through `xOut` (the axis' units), and whether anything was dropped.
 */
export function m4Downsample(
  xs: Float64Array,
  ys: ArrayLike<number>,
  lo: number,
  hi: number,
  range: { from: number; to: number; buckets: number },
  xOut: (x: number) => number = (x) => x,
): { points: number[]; reduced: boolean } {
  const points: number[] = [];
  if (hi - lo <= range.buckets * 4) {
    for (let i = lo; i < hi; i++) {
      const y = ys[i]!;
      if (!Number.isNaN(y)) points.push(xOut(xs[i]!), y);
    }
    return { points, reduced: false };
  }
  const { from, to, buckets } = range;
  const scale = to > from ? buckets / (to - from) : 0;
  let bucket = -1;
  let first = -1;
  let last = -1;
  let min = -1;
  let max = -1;
  let minY = 0;
  let maxY = 0;
  const picks = [0, 0, 0, 0];
  const flush = () => {
    if (first < 0) return;
    // Up to four indices, emitted in index order without repeats.
    picks[0] = first;
    picks[1] = min;
    picks[2] = max;
    picks[3] = last;
    picks.sort((a, b) => a - b);
    let prev = -1;
    for (const i of picks) {
      if (i === prev) continue;
      prev = i;
      points.push(xOut(xs[i]!), ys[i]!);
    }
  };
  for (let i = lo; i < hi; i++) {
    const y = ys[i]!;
    if (Number.isNaN(y)) continue;
    let b = Math.floor((xs[i]! - from) * scale);
    b = b < 0 ? 0 : b >= buckets ? buckets - 1 : b;
    if (b !== bucket) {
      flush();
      bucket = b;
      first = last = min = max = i;
      minY = maxY = y;
      continue;
    }
    last = i;
    if (y < minY) (min = i), (minY = y);
    if (y > maxY) (max = i), (maxY = y);
  }
  flush();
  return { points, reduced: true };
}
