import { INFERENCE_TIMING_ROUNDS } from '../../shared/compression-variant.js';
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../models/model.js';
import { predictTestSet } from '../test-set-evaluation.js';

/**
 * Inference samples/s of each model over the test split, timed side by side: a warm-up pass each,
 * then INFERENCE_TIMING_ROUNDS rounds that time one pass of every model in turn; a model's figure
 * is its fastest pass. Timed one model after another, the figures followed the process's state
 * rather than the model: the same weights run faster right after training than before it
 * (bench/inference-after-training.ts).
 */
export function timeInference(dataset: Dataset, models: readonly Pick<Model, 'apply'>[], onProgress: (done: number, total: number) => void): number[] {
  const total = models.length * (INFERENCE_TIMING_ROUNDS + 1);
  let done = 0;
  const pass = (model: Pick<Model, 'apply'>) => {
    const started = performance.now();
    predictTestSet(dataset, model, () => {});
    onProgress(++done, total);
    return performance.now() - started;
  };
  models.forEach(pass);
  const fastest = models.map(() => Infinity);
  for (let round = 0; round < INFERENCE_TIMING_ROUNDS; round++) models.forEach((model, i) => (fastest[i] = Math.min(fastest[i]!, pass(model))));
  return fastest.map((ms) => dataset.test.count / Math.max(1e-6, ms / 1000));
}
