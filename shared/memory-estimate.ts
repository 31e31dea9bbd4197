import { DEFAULT_MLP_HIDDEN, type ModelKind, type OptimizerKind } from './run-config.js';
import type { DatasetInfo } from './trainer-protocol.js';

/**
 * What a run will hold in memory, from its config and its data's shape, before it starts.
 * Everything is float32 (4 bytes), as the trainer stores it.
 *
 * - parameters: the model's weights and biases (layers below).
 * - gradients: one float per parameter.
 * - optimizer state: Adam keeps two moments (2 × parameters), momentum one velocity (1 ×), sgd none.
 * - activations: the forward pass keeps every op's output for the backward pass, per example: the
 *   input row and its label; for each hidden dense layer of width n its matMul, bias add and ReLU
 *   (3n); for each conv its conv, bias add and ReLU (3 × h·w·c) and its max-pool's output; the
 *   output layer's matMul and bias add (2 × outputs); softmax cross-entropy's own tensors (one-hot
 *   labels and their float copy, log-softmax and its parts: LOSS_TENSORS × outputs). Reshapes share
 *   their input's memory. The backward pass then holds its gradient intermediates beside them:
 *   BACKWARD_FACTOR × the forward tensors in all (measured on the wasm backend; within about 10 %
 *   for the app's three models).
 * - update: the optimizer updates one parameter at a time; its temporaries for the largest
 *   parameter (sgd 2, momentum 4, Adam 12 tensors of its size), while the batch's input, labels
 *   and outputs are still live.
 * - dataset: train, validation and test rows held as float32 features plus a 4-byte label each.
 *
 * A step peaks either in its backward pass or in the update, so `trainingBytes` = parameters +
 * gradients + optimizer state + the larger of the two. It is what TensorFlow.js holds at a step's
 * peak: the trainer's `peakStepBytes` reading. `totalBytes` adds the dataset.
 */

const FLOAT = 4;
/** One-hot labels, their float copy, log-softmax, its max-shifted and exp parts, the product and its negation. */
export const LOSS_TENSORS = 7;
export const BACKWARD_FACTOR = 2.2;
/** Tensors of a parameter's size that one update creates: sgd mul, sub; momentum 2 × (mul, add/sub); Adam a dozen. */
export const UPDATE_TEMPORARIES: Record<OptimizerKind, number> = { sgd: 2, momentum: 4, adam: 12 };

export interface Layer {
  name: string;
  params: number;
  /** The kernel's size (the bias is smaller). */
  kernel: number;
  /** Floats this layer's forward pass keeps per example until the step ends. */
  activations: number;
}

export interface DataShape {
  inputShape: readonly number[];
  /** Classes for classification, 1 for regression. */
  outputs: number;
  classification: boolean;
  /** Train + validation + test examples held in memory. */
  examples: number;
}

export interface MemoryEstimate {
  layers: Layer[];
  parameters: number;
  parameterBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  updateBytes: number;
  datasetBytes: number;
  trainingBytes: number;
  totalBytes: number;
}

const OPTIMIZER_SLOTS: Record<OptimizerKind, number> = { sgd: 0, momentum: 1, adam: 2 };

export function dataShapeOf(info: Pick<DatasetInfo, 'task' | 'inputShape' | 'classes' | 'trainSize' | 'validationSize' | 'testSize'>): DataShape {
  const classification = info.task === 'classification';
  return {
    inputShape: info.inputShape,
    outputs: classification ? info.classes ?? 1 : 1,
    classification,
    examples: info.trainSize + info.validationSize + info.testSize,
  };
}

/** Fashion-MNIST as the trainer loads it: 60,000 training images (or `limit`), 10,000 test, 28×28×1, 10 classes. */
export function fashionMnistShape(limit: number | undefined): DataShape {
  return { inputShape: [28, 28, 1], outputs: 10, classification: true, examples: Math.min(limit ?? 60_000, 60_000) + 10_000 };
}

const dense = (name: string, inputs: number, width: number, hidden: boolean): Layer => ({
  name,
  params: inputs * width + width,
  kernel: inputs * width,
  activations: (hidden ? 3 : 2) * width,
});

/** The layers of the app's models (trainer/models/), with the same shapes; `hidden`: an mlp's widths. */
export function modelLayers(model: ModelKind, data: Pick<DataShape, 'inputShape' | 'outputs'>, hidden: readonly number[] = DEFAULT_MLP_HIDDEN): Layer[] {
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  switch (model) {
    case 'linear':
      return [dense('dense', inputs, data.outputs, false)];
    case 'mlp': {
      const widths = [inputs, ...hidden, data.outputs];
      return widths.slice(1).map((width, i) => dense(`dense${i + 1}`, widths[i]!, width, i < widths.length - 2));
    }
    case 'cnn': {
      const [height, width, channels] = data.inputShape as [number, number, number];
      const conv = (name: string, h: number, w: number, cin: number, cout: number): { layer: Layer; h: number; w: number } => {
        const oh = h - 2;
        const ow = w - 2;
        const ph = Math.floor(oh / 2);
        const pw = Math.floor(ow / 2);
        return { layer: { name, params: 9 * cin * cout + cout, kernel: 9 * cin * cout, activations: 3 * oh * ow * cout + ph * pw * cout }, h: ph, w: pw };
      };
      const c1 = conv('conv1', height, width, channels, 32);
      const c2 = conv('conv2', c1.h, c1.w, 32, 64);
      const flat = c2.h * c2.w * 64;
      return [c1.layer, c2.layer, dense('dense1', flat, 128, true), dense('dense2', 128, data.outputs, false)];
    }
  }
}

/** How many weights and biases a model has. */
export function parameterCount(config: { model: ModelKind; hidden?: readonly number[] }, data: Pick<DataShape, 'inputShape' | 'outputs'>): number {
  return modelLayers(config.model, data, config.hidden).reduce((sum, l) => sum + l.params, 0);
}

export function estimateMemory(config: { model: ModelKind; hidden?: readonly number[]; optimizer: OptimizerKind; batchSize: number }, data: DataShape): MemoryEstimate {
  const layers = modelLayers(config.model, data, config.hidden);
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  const parameters = layers.reduce((sum, l) => sum + l.params, 0);
  const largest = Math.max(...layers.map((l) => l.kernel));
  const parameterBytes = parameters * FLOAT;
  const gradientBytes = parameterBytes;
  const optimizerBytes = OPTIMIZER_SLOTS[config.optimizer] * parameterBytes;
  const lossFloats = data.classification ? LOSS_TENSORS * data.outputs : 0;
  const forward = inputs + 1 + layers.reduce((sum, l) => sum + l.activations, 0) + lossFloats;
  const activationBytes = Math.round(config.batchSize * forward * BACKWARD_FACTOR) * FLOAT;
  const batchBytes = config.batchSize * (inputs + 1 + data.outputs) * FLOAT;
  const updateBytes = UPDATE_TEMPORARIES[config.optimizer] * largest * FLOAT + batchBytes;
  const datasetBytes = data.examples * (inputs + 1) * FLOAT;
  const trainingBytes = parameterBytes + gradientBytes + optimizerBytes + Math.max(activationBytes, updateBytes);
  return {
    layers, parameters, parameterBytes, gradientBytes, optimizerBytes, activationBytes, updateBytes, datasetBytes, trainingBytes,
    totalBytes: trainingBytes + datasetBytes,
  };
}
