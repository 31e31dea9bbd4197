import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { gradualSparsity, PruningMasks } from '../../trainer/compression/pruning-masks.js';
import { createModel } from '../../trainer/models/create-model.js';
import type { Model } from '../../trainer/models/model.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';

const DATA = { task: 'classification' as const, inputShape: [12], classes: 3, trainSize: 0, validationSize: 0, testSize: 0 };

beforeAll(async () => {
  // The trainer's backend chain also registers the gradients fine-tuning needs.
  await chooseBackend(undefined);
});

/** `steps` Adam updates of a real cross-entropy loss on random batches. */
function train(model: Model, optimizer: ReturnType<typeof createOptimizer>, steps: number): void {
  const random = seededRandom(3);
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from({ length: 32 * 12 }, () => random() * 2 - 1), [32, 12]);
      const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 32 }, () => Math.floor(random() * 3)), 'int32'), 3);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)) as tf.Scalar, model.variables as tf.Variable[]);
      optimizer.apply(model.variables.map((v) => grads[v.name]!));
    });
  }
}

/** The flat positions of each kernel that hold exactly 0. */
function zerosOf(model: Model): Map<string, number[]> {
  const zeros = new Map<string, number[]>();
  model.variables.forEach((v, i) => {
    if (!model.names[i]!.endsWith('/kernel')) return;
    const values = v.dataSync();
    zeros.set(model.names[i]!, [...values.keys()].filter((k) => values[k] === 0));
  });
  return zeros;
}

describe('pruning masks during fine-tuning', () => {
  it('hold every pruned weight at exactly 0 through 25 Adam updates, while the kept weights train', () => {
    const model = createModel({ model: 'mlp', hidden: [16] }, DATA, 1);
    const masks = new PruningMasks(model);
    const optimizer = createOptimizer('adam', model.variables, 0.05);
    masks.hold(optimizer);
    masks.prune(0.75);
    const pruned = zerosOf(model);
    expect(pruned.get('dense1/kernel')).toHaveLength(Math.round(0.75 * 12 * 16));
    expect(pruned.get('dense2/kernel')).toHaveLength(Math.round(0.75 * 16 * 3));
    const before = model.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));

    train(model, optimizer, 25);

    expect(zerosOf(model)).toEqual(pruned);
    const kept = model.variables[0]!.dataSync();
    const changed = [...kept.keys()].filter((k) => kept[k] !== 0 && kept[k] !== before[0]![k]);
    // Most kept weights moved (a ReLU unit dead on every batch gets no gradient).
    expect(changed.length).toBeGreaterThan((12 * 16 - pruned.get('dense1/kernel')!.length) / 2);
    optimizer.dispose();
    masks.dispose();
  });

  it('without the masks held, the same updates move pruned weights off 0', () => {
    const model = createModel({ model: 'mlp', hidden: [16] }, DATA, 1);
    const masks = new PruningMasks(model);
    const optimizer = createOptimizer('adam', model.variables, 0.05);
    masks.prune(0.75);
    train(model, optimizer, 5);
    expect(zerosOf(model).get('dense1/kernel')!.length).toBeLessThan(Math.round(0.75 * 12 * 16));
    optimizer.dispose();
    masks.dispose();
  });

  it('gradual pruning rises on the cubic schedule to the target at the last epoch, keeping what it pruned before', () => {
    const schedule = [1, 2, 3].map((e) => gradualSparsity(0.9, e, 3));
    [0.9 * (19 / 27), 0.9 * (26 / 27), 0.9].forEach((s, i) => expect(schedule[i]).toBeCloseTo(s, 12));
    const model = createModel({ model: 'mlp', hidden: [16] }, DATA, 2);
    const masks = new PruningMasks(model);
    const optimizer = createOptimizer('adam', model.variables, 0.05);
    masks.hold(optimizer);
    let earlier: number[] = [];
    for (const epoch of [1, 2, 3]) {
      masks.prune(gradualSparsity(0.9, epoch, 3));
      const zeros = zerosOf(model).get('dense1/kernel')!;
      expect(zeros.length).toBe(Math.round(gradualSparsity(0.9, epoch, 3) * 12 * 16));
      expect(earlier.every((k) => zeros.includes(k))).toBe(true);
      train(model, optimizer, 5);
      expect(zerosOf(model).get('dense1/kernel')).toEqual(zeros);
      earlier = zeros;
    }
    optimizer.dispose();
    masks.dispose();
  });
});
