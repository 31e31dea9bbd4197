import type { LayerRange, ModelLayer } from '../models/model.js';

/**
 * Splits `layers` into `stages` contiguous runs, each at least one layer, so that the busiest
 * stage's forward multiply-adds are as few as possible: a pipeline runs at its slowest stage's pace.
 */
export function planStages(layers: readonly ModelLayer[], stages: number): LayerRange[] {
  const n = layers.length;
  if (stages < 1 || stages > n) throw new RangeError(`stages: must be from 1 to ${n}, the model's layers`);
  const prefix = [0];
  for (const layer of layers) prefix.push(prefix[prefix.length - 1]! + layer.forwardMacs);
  const cost = (from: number, to: number) => prefix[to]! - prefix[from]!;
  // best[s][i]: the least possible busiest stage when the first i layers make s stages; cut[s][i] where the last of them starts.
  const best = Array.from({ length: stages + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const cut = Array.from({ length: stages + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0]![0] = 0;
  for (let s = 1; s <= stages; s++) {
    for (let i = s; i <= n; i++) {
      for (let j = s - 1; j < i; j++) {
        const busiest = Math.max(best[s - 1]![j]!, cost(j, i));
        if (busiest < best[s]![i]!) {
          best[s]![i] = busiest;
          cut[s]![i] = j;
        }
      }
    }
  }
  const ranges: LayerRange[] = [];
  for (let s = stages, to = n; s > 0; s--) {
    const from = cut[s]![to]!;
    ranges.unshift({ from, to });
    to = from;
  }
  return ranges;
}
