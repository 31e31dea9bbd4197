import * as tf from '@tensorflow/tfjs-core';
import type { ModelManifest } from '../../shared/model-package.js';
import type { Model } from '../models/model.js';
import { Int8DenseStack, int8Unavailable } from './int8-dense-stack.js';
import type { NamedTensor } from './magnitude-pruning.js';
import { modelWithTensors } from './package-model.js';

/** A stored model ready to answer batches of rows. */
export interface InferenceModel extends Pick<Model, 'apply'> {
  dispose(): void;
}

/**
 * A checked package as it runs: on the int8 kernels where its manifest says its figures were
 * measured there (`inferencePath: int8`), else its restored float32 weights in the architecture
 * the app builds itself. On a trainer without the kernels (another backend) an int8 package runs
 * on its restored weights rather than not at all; one that says int8 but is not int8 dense layers
 * with calibrated ranges is refused (RangeError).
 */
export function inferenceModel(manifest: ModelManifest, weights: Uint8Array, restored: readonly NamedTensor[]): InferenceModel {
  if (manifest.metrics.inferencePath === 'int8' && int8Unavailable(manifest.architecture) === null) {
    const stack = Int8DenseStack.fromPackage(manifest, weights, restored);
    return { apply: (x) => stack.apply(x), dispose: () => {} };
  }
  const model = modelWithTensors(manifest.architecture, restored);
  return { apply: (x) => model.apply(x), dispose: () => tf.dispose([...model.variables]) };
}
