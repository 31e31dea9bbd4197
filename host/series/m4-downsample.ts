/** Reads x and y of point i; y may be NaN for "no value here". */
export interface PointSource {
  x(i: number): number;
  y(i: number): number;
}

/**
 * M4 aggregation (Jugel et al., VLDB 2014): for each of `buckets` equal x columns keeps the
 * first, last, lowest and highest point, in their original order. A line through them draws
 * the same pixels as the raw line at that width, and no extreme (a one-step spike) is lost.
 * Points `lo..hi-1` must be sorted by x. Returns flat [x, y, …] and whether anything was dropped.
 */
export function m4Downsample(src: PointSource, lo: number, hi: number, from: number, to: number, buckets: number): { points: number[]; reduced: boolean } {
  const points: number[] = [];
  if (hi - lo <= buckets * 4) {
    for (let i = lo; i < hi; i++) {
      const y = src.y(i);
      if (!Number.isNaN(y)) points.push(src.x(i), y);
    }
    return { points, reduced: false };
  }
  const width = to > from ? (to - from) / buckets : 1;
  let bucket = -1;
  let first = -1;
  let last = -1;
  let min = -1;
  let max = -1;
  const flush = () => {
    if (first < 0) return;
    // Up to four indices, emitted in index order without repeats.
    const picks = [first, min, max, last].sort((a, b) => a - b);
    let prev = -1;
    for (const i of picks) {
      if (i === prev) continue;
      prev = i;
      points.push(src.x(i), src.y(i));
    }
  };
  for (let i = lo; i < hi; i++) {
    const y = src.y(i);
    if (Number.isNaN(y)) continue;
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((src.x(i) - from) / width)));
    if (b !== bucket) {
      flush();
      bucket = b;
      first = last = min = max = i;
      continue;
    }
    last = i;
    if (y < src.y(min)) min = i;
    if (y > src.y(max)) max = i;
  }
  flush();
  return { points, reduced: true };
}
