import { readCheckpoint } from '../../trainer/checkpoint.js';

/** A run's trained parameters in its latest checkpoint, optimizer slots left out. */
export function checkpointWeights(dir: string): { name: string; values: Float32Array }[] {
  const checkpoint = readCheckpoint(dir);
  if (!checkpoint) throw new Error(`no checkpoint in ${dir}`);
  return checkpoint.tensors.filter((t) => !t.name.startsWith('slot:'));
}

/** The largest difference between two runs' parameters, tensor by tensor; Infinity when they differ in shape or names. */
export function maxWeightDifference(a: ReturnType<typeof checkpointWeights>, b: ReturnType<typeof checkpointWeights>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  a.forEach((t, i) => {
    const other = b[i]!;
    if (t.name !== other.name || t.values.length !== other.values.length) max = Infinity;
    else for (let j = 0; j < t.values.length; j++) max = Math.max(max, Math.abs(t.values[j]! - other.values[j]!));
  });
  return max;
}
