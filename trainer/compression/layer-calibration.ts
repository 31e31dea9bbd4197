import * as tf from '@tensorflow/tfjs-core';
import type { ActivationRange, ModelArchitecture } from '../../shared/model-package.js';
import type { Split } from '../data/dataset.js';
import { createModel } from '../models/create-model.js';
import { ActivationCalibration } from './activation-calibration.js';
import type { NamedTensor } from './magnitude-pruning.js';

const BATCH = 256;

/**
 * Each layer's output range over the first `samples` examples of `split` (the held-out validation
 * split), and the input's, for an int8 inference path. The network is run layer by layer, each a
 * one-layer part of the same architecture (as a pipeline stage holds it) given that layer's
 * parameters from `tensors`, so every intermediate activation is seen.
 */
export function calibrateActivations(
  architecture: ModelArchitecture,
  tensors: readonly NamedTensor[],
  split: Split,
  featureSize: number,
  samples: number,
): { ranges: ActivationRange[]; samples: number } {
  const info = { ...architecture, trainSize: 0, validationSize: 0, testSize: 0 };
  const spec = { model: architecture.model, hidden: architecture.hidden };
  const layers = createModel(spec, info, 0, { from: 0, to: 0 }).layers;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const stages = layers.map((_, i) => {
    const stage = createModel(spec, info, 0, { from: i, to: i + 1 });
    stage.variables.forEach((v, j) => {
      const t = byName.get(stage.names[j]!);
      if (!t) throw new RangeError(`calibration: no tensor ${stage.names[j]} for layer ${layers[i]!.name}`);
      tf.tidy(() => v.assign(tf.tensor(t.values, t.shape)));
    });
    return stage;
  });
  const calibration = new ActivationCalibration();
  const count = Math.min(samples, split.count);
  try {
    for (let offset = 0; offset < count; offset += BATCH) {
      const size = Math.min(BATCH, count - offset);
      const x = split.x.subarray(offset * featureSize, (offset + size) * featureSize);
      calibration.observe('input', x);
      tf.tidy(() => {
        let h: tf.Tensor = tf.tensor2d(x, [size, featureSize]);
        stages.forEach((stage, i) => {
          h = stage.forward(tf.reshape(h, [size, ...layers[i]!.input]));
          calibration.observe(layers[i]!.name, h.dataSync() as Float32Array);
        });
      });
      calibration.countSamples(size);
    }
  } finally {
    for (const stage of stages) tf.dispose([...stage.variables]);
  }
  return { ranges: calibration.ranges(), samples: calibration.sampleCount };
}
