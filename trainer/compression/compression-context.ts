import type { TrainerEvent } from '../../shared/trainer-protocol.js';
import type { Dataset } from '../data/dataset.js';
import type { TrainingControl } from '../training-control.js';
import type { NamedTensor } from './magnitude-pruning.js';
import type { VariantTarget } from './variant-measure.js';

/** What a quantization or pruning run works with: the loaded data, the source's weights, where variants go. */
export interface CompressionContext {
  dataset: Dataset;
  /** The source run's parameters, float32, in its model's order. */
  original: readonly NamedTensor[];
  target: VariantTarget;
  control: TrainingControl;
  emit: (event: TrainerEvent) => void;
  now: () => number;
}

/**
 * Between two variants: waits out a pause and says whether to stop (the run then ends `stopped`,
 * keeping the variants already stored).
 */
export async function betweenVariants(ctx: CompressionContext, step: number): Promise<boolean> {
  const { control, emit, now } = ctx;
  if (control.pauseRequested) {
    emit({ type: 'paused', time: now(), step });
    await control.waitWhilePaused();
    if (!control.stopRequested) emit({ type: 'resumed', time: now(), step });
  }
  if (!control.stopRequested) return false;
  emit({ type: 'stopped', time: now(), step });
  return true;
}

/** Progress events of the test-set measurement. */
export function evaluateProgress(ctx: CompressionContext): (done: number, total: number) => void {
  return (done, total) => ctx.emit({ type: 'progress', time: ctx.now(), phase: 'evaluate', done, total });
}
