import { median } from './bench-report.js';
import type { TimedWindow } from './training-windows.js';

export interface WindowPair {
  baseline: TimedWindow;
  measured: TimedWindow;
}

/** Samples/s of each pair's two windows and their ratio (measured / baseline), summarised against a bar. */
export function pairedRatios(pairs: readonly WindowPair[], bar: number) {
  if (pairs.length === 0) throw new Error('no pairs to compare');
  const rate = (w: TimedWindow) => w.samples / w.seconds;
  const rows = pairs.map((p) => {
    const [baseline, measured] = [rate(p.baseline), rate(p.measured)];
    return { baselineSamplesPerSec: baseline, measuredSamplesPerSec: measured, ratio: measured / baseline };
  });
  const ratios = rows.map((r) => r.ratio);
  const ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  return { pairs: rows, ratio, bar, met: ratio.median >= bar };
}
