import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Distribution } from '../../shared/distributed.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { microBatches } from '../../trainer/distributed/pipeline-stage.js';
import { planStages } from '../../trainer/distributed/stage-plan.js';
import { createModel } from '../../trainer/models/create-model.js';

const FASHION_MNIST: DatasetInfo = { task: 'classification', trainSize: 1, validationSize: 0, testSize: 0, inputShape: [28, 28, 1], classes: 10 };
const layersOf = (kind: 'mlp' | 'cnn') => createModel(kind, FASHION_MNIST, 1, { from: 0, to: 0 }).layers;

describe('pipeline stages', () => {
  beforeAll(async () => {
    await chooseBackend('cpu');
  });

  it('cuts the model where the busiest stage does the least work', () => {
    // cnn forward MACs per sample: conv1 194,688 · conv2 2,230,272 · dense1 204,800 · dense2 1,280.
    expect(planStages(layersOf('cnn'), 2)).toEqual([{ from: 0, to: 2 }, { from: 2, to: 4 }]);
    expect(planStages(layersOf('cnn'), 3)).toEqual([{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 4 }]);
    expect(planStages(layersOf('cnn'), 4).map((r) => r.to - r.from)).toEqual([1, 1, 1, 1]);
    expect(planStages(layersOf('mlp'), 2)).toEqual([{ from: 0, to: 1 }, { from: 1, to: 3 }]);
    expect(() => planStages(layersOf('mlp'), 4)).toThrow('stages: must be from 1 to 3');
  });

  it('builds each stage with the whole model\'s weights for its layers, and the stages in turn compute what the whole model does', () => {
    const whole = createModel('cnn', FASHION_MNIST, 5);
    const [first, second] = planStages(whole.layers, 2).map((range) => createModel('cnn', FASHION_MNIST, 5, range));
    expect([...first!.names, ...second!.names]).toEqual(whole.names);
    expect([...first!.paramIndex, ...second!.paramIndex]).toEqual(whole.names.map((_, i) => i));
    [...first!.variables, ...second!.variables].forEach((v, i) => expect(v.dataSync()).toEqual(whole.variables[i]!.dataSync()));
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 9) as tf.Tensor2D;
    const staged = second!.forward(first!.forward(x)).dataSync();
    const direct = whole.apply(x).dataSync();
    expect(Array.from(staged)).toEqual(Array.from(direct));
    expect(() => first!.apply(x)).toThrow('apply needs the whole model');
  });

  it('splits a batch into even micro-batches, fewer when the batch is smaller', () => {
    expect(microBatches(10, 4)).toEqual([{ start: 0, size: 3 }, { start: 3, size: 3 }, { start: 6, size: 2 }, { start: 8, size: 2 }]);
    expect(microBatches(2, 4)).toEqual([{ start: 0, size: 1 }, { start: 1, size: 1 }]);
  });

  it('keeps each distribution setting to the parallelism it applies to', () => {
    const errors = (d: object) => Distribution.safeParse(d).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(errors({ parallel: 'model', peers: ['local', 'local'], minPeers: 2 })).toEqual(['minPeers: applies only to parallel data: a pipeline cannot go on without one of its stages']);
    expect(errors({ parallel: 'data', peers: ['local', 'local'], microBatches: 8 })).toEqual(['microBatches: applies only to parallel model']);
    expect(errors({ parallel: 'model', peers: ['local', 'local'], microBatches: 65 })).toEqual(['microBatches: must be an integer from 1 to 64']);
    expect(errors({ parallel: 'pipe', peers: ['local', 'local'] })).toEqual(['parallel: must be `data` or `model`']);
  });
});
