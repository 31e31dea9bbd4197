import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { INFERENCE_TIMING_ROUNDS } from '../../shared/compression-variant.js';
import type { Dataset } from '../../trainer/data/dataset.js';
import type { Model } from '../../trainer/models/model.js';
import { timeInference } from '../../trainer/compression/inference-timing.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ROWS = 3000;
const dataset = {
  info: { task: 'classification', classes: 10 },
  featureSize: 4,
  test: { count: ROWS, x: new Float32Array(ROWS * 4), y: new Int32Array(ROWS) },
} as unknown as Dataset;

/** A model whose every batch costs `ms` of busy time, noting each batch it serves in `calls`. */
function modelCosting(name: string, ms: number, calls: string[]): Model {
  return {
    apply: (x: tf.Tensor) => {
      calls.push(name);
      const until = performance.now() + ms;
      while (performance.now() < until);
      return tf.zeros([x.shape[0]!, 10]);
    },
  } as unknown as Model;
}

describe('timing inference side by side', () => {
  it('times the models in turn, round by round, and gives each its speed: twice the cost, half the samples/s', () => {
    const calls: string[] = [];
    const progress: [number, number][] = [];
    const [slow, fast] = timeInference(dataset, [modelCosting('slow', 20, calls), modelCosting('fast', 10, calls)], (done, total) => progress.push([done, total]));
    // 3 batches of 1,000 rows a pass: a warm-up pass of each, then every round one pass of each, in turn.
    const passes = calls.filter((_, i) => i % 3 === 0);
    expect(passes).toEqual(Array.from({ length: INFERENCE_TIMING_ROUNDS + 1 }, () => ['slow', 'fast']).flat());
    expect(progress.at(-1)).toEqual([2 * (INFERENCE_TIMING_ROUNDS + 1), 2 * (INFERENCE_TIMING_ROUNDS + 1)]);
    expect(slow).toBeLessThanOrEqual(ROWS / 0.060);
    expect(fast).toBeLessThanOrEqual(ROWS / 0.030);
    // Each pass also creates tensors and takes a softmax, the same for both, which pulls the ratio below 2.
    expect(fast! / slow!).toBeGreaterThan(1.5);
    expect(fast! / slow!).toBeLessThan(2.2);
  });
});
