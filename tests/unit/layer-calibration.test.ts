import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrateActivations } from '../../trainer/compression/layer-calibration.js';
import { modelWithTensors } from '../../trainer/compression/package-model.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { CNN_ARCHITECTURE, CNN_SHAPES, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors } from '../support/compression-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('activation calibration, layer by layer', () => {
  it("sees every layer's output over the first N held-out examples: the last layer's range is the whole model's logits'", () => {
    for (const [architecture, shapes, layers] of [
      [MLP_ARCHITECTURE, MLP_SHAPES, ['input', 'dense1', 'dense2', 'dense3']],
      [CNN_ARCHITECTURE, CNN_SHAPES, ['input', 'conv1', 'conv2', 'dense1', 'dense2']],
    ] as const) {
      const tensors = parameterTensors(shapes, 9);
      const random = seededRandom(4);
      const count = 120;
      const split = { count, x: Float32Array.from({ length: count * 784 }, () => random()), y: new Int32Array(count) };
      const { ranges, samples } = calibrateActivations(architecture, tensors, split, 784, 100);
      expect(samples).toBe(100);
      expect(ranges.map((r) => r.layer)).toEqual(layers);

      const model = modelWithTensors(architecture, tensors);
      const logits = tf.tidy(() => model.apply(tf.tensor2d(split.x.subarray(0, 100 * 784), [100, 784])).dataSync());
      tf.dispose([...model.variables]);
      const last = ranges.at(-1)!;
      expect(last.min).toBeCloseTo(Math.min(...logits), 5);
      expect(last.max).toBeCloseTo(Math.max(...logits), 5);
      // A ReLU layer's outputs are never negative; the input's range is the pixels'.
      expect(ranges.find((r) => r.layer === 'dense1')!.min).toBe(0);
      expect(ranges[0]!.min).toBeGreaterThanOrEqual(0);
      expect(ranges[0]!.max).toBeLessThan(1);
    }
  });
});
