import { beforeAll, describe, expect, it } from 'vitest';
import { cnnWork, mlpWork, type ModelWork } from '../../bench/model-flops.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { createModel } from '../../trainer/models/create-model.js';

const FASHION_MNIST: DatasetInfo = { task: 'classification', trainSize: 1, validationSize: 0, testSize: 0, inputShape: [28, 28, 1], classes: 10 };

const macsByLayer = (work: ModelWork) => Object.fromEntries(work.layers.map((l) => [l.layer, l.forwardMacs]));

describe('FLOPs per training sample', () => {
  beforeAll(async () => {
    await chooseBackend('cpu');
  });

  it('counts the mlp: 784·256 + 256·128 + 128·10 MACs forward, × 2 × 3 for training', () => {
    const work = mlpWork(784, 10);
    expect(macsByLayer(work)).toEqual({ dense1: 200_704, dense2: 32_768, dense3: 1_280 });
    expect(work.forwardMacs).toBe(234_752);
    expect(work.trainingFlopsPerSample).toBe(1_408_512);
  });

  it('counts the cnn: 26·26·32·9 + 11·11·64·9·32 + 1600·128 + 128·10 MACs forward, × 2 × 3 for training', () => {
    const work = cnnWork([28, 28, 1], 10);
    expect(macsByLayer(work)).toEqual({ conv1: 194_688, conv2: 2_230_272, dense1: 204_800, dense2: 1_280 });
    expect(work.layers.map((l) => l.output)).toEqual([[26, 26, 32], [11, 11, 64], [128], [10]]);
    expect(work.trainingFlopsPerSample).toBe(15_786_240);
  });

  it.each([
    ['mlp', mlpWork(784, 10)],
    ['cnn', cnnWork([28, 28, 1], 10)],
  ] as const)('counts the same weight shapes as the trainer builds for the %s', (kind, work) => {
    const model = createModel(kind, FASHION_MNIST, 1);
    const kernels = model.variables.filter((_, i) => model.names[i]!.endsWith('/kernel')).map((v) => v.shape);
    expect(work.layers.map((l) => l.weights)).toEqual(kernels);
    model.variables.forEach((v) => v.dispose());
  });
});
