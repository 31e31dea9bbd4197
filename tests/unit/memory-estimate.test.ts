import { describe, expect, it } from 'vitest';
import { dataShapeOf, estimateMemory, fashionMnistShape, modelLayers } from '../../shared/memory-estimate.js';

const FASHION = fashionMnistShape(undefined);

describe('the memory-fit estimate', () => {
  it('counts the mlp on Fashion-MNIST with Adam at batch 32 as worked out by hand', () => {
    const e = estimateMemory({ model: 'mlp', optimizer: 'adam', batchSize: 32 }, FASHION);
    // 784·256+256 + 256·128+128 + 128·10+10
    expect(e.parameters).toBe(200_960 + 32_896 + 1_290);
    expect(e.parameterBytes).toBe(940_584);
    expect(e.gradientBytes).toBe(940_584);
    expect(e.optimizerBytes).toBe(2 * 940_584);
    // Per example: input 784 + label 1 + 3·256 + 3·128 + 2·10 + loss 7·10 = 2027 floats; × batch × 2.2 backward.
    expect(e.activationBytes).toBe(Math.round(32 * 2027 * 2.2) * 4);
    // Adam's 12 temporaries of the 784×256 kernel, plus the batch's input, labels and logits.
    expect(e.updateBytes).toBe(12 * 200_704 * 4 + 32 * (784 + 1 + 10) * 4);
    expect(e.trainingBytes).toBe(4 * 940_584 + 9_735_552);
    // 60,000 + 10,000 images of 784 floats and a label.
    expect(e.datasetBytes).toBe(70_000 * 785 * 4);
    expect(e.totalBytes).toBe(e.trainingBytes + 219_800_000);
  });

  it('counts the cnn on Fashion-MNIST with sgd at batch 64 as worked out by hand', () => {
    const layers = modelLayers('cnn', FASHION);
    expect(layers.map((l) => [l.name, l.params, l.activations])).toEqual([
      ['conv1', 9 * 32 + 32, 3 * 26 * 26 * 32 + 13 * 13 * 32],
      ['conv2', 9 * 32 * 64 + 64, 3 * 11 * 11 * 64 + 5 * 5 * 64],
      ['dense1', 1600 * 128 + 128, 3 * 128],
      ['dense2', 128 * 10 + 10, 2 * 10],
    ]);
    const e = estimateMemory({ model: 'cnn', optimizer: 'sgd', batchSize: 64 }, FASHION);
    expect(e.parameters).toBe(225_034);
    expect(e.optimizerBytes).toBe(0);
    // 784 + 1 + 70,304 + 24,832 + 384 + 20 + 70 = 96,395 floats per example.
    expect(e.activationBytes).toBe(Math.round(64 * 96_395 * 2.2) * 4);
    // The backward pass outweighs sgd's update here.
    expect(e.trainingBytes).toBe(2 * 900_136 + 54_289_664);
  });

  it('gives momentum one slot and grows the activations, not the parameters, with the batch', () => {
    const at = (batchSize: number) => estimateMemory({ model: 'cnn', optimizer: 'momentum', batchSize }, FASHION);
    expect(at(32).optimizerBytes).toBe(at(32).parameterBytes);
    expect(at(256).parameterBytes).toBe(at(32).parameterBytes);
    expect(at(256).activationBytes).toBeCloseTo(8 * at(32).activationBytes, -2);
  });

  it('takes the data shape from what the trainer reports, and a limit from the form', () => {
    const shape = dataShapeOf({ task: 'regression', inputShape: [3], trainSize: 90, validationSize: 10, testSize: 20 });
    expect(shape).toEqual({ inputShape: [3], outputs: 1, classification: false, examples: 120 });
    expect(estimateMemory({ model: 'linear', optimizer: 'sgd', batchSize: 10 }, shape).parameters).toBe(4);
    expect(fashionMnistShape(3000).examples).toBe(13_000);
  });
});
