import * as tf from '@tensorflow/tfjs-core';
import type { ModelArchitecture } from '../../shared/model-package.js';
import { createModel } from '../models/create-model.js';
import type { Model } from '../models/model.js';
import type { NamedTensor } from './magnitude-pruning.js';

/** The network of `architecture` holding `tensors`, which must be its parameters by name and shape, in order. */
export function modelWithTensors(architecture: ModelArchitecture, tensors: readonly NamedTensor[]): Model {
  const model = createModel({ model: architecture.model, hidden: architecture.hidden }, { ...architecture, trainSize: 0, validationSize: 0, testSize: 0 }, 0);
  try {
    const problem =
      tensors.length !== model.names.length ? `has ${tensors.length} tensors, a ${architecture.model} model ${model.names.length} parameters`
      : tensors
          .map((t, i) => {
            const shape = model.variables[i]!.shape;
            if (t.name !== model.names[i]) return `tensor ${i} is ${t.name}, expected ${model.names[i]}`;
            if (t.shape.join('×') !== shape.join('×')) return `${t.name} has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`;
            return null;
          })
          .find((p) => p !== null);
    if (problem) throw new RangeError(`the model's weights do not fit a ${architecture.model} for input [${architecture.inputShape.join(', ')}]: ${problem}`);
    tensors.forEach((t, i) => tf.tidy(() => model.variables[i]!.assign(tf.tensor(t.values, t.shape))));
    return model;
  } catch (error) {
    tf.dispose([...model.variables]);
    throw error;
  }
}
