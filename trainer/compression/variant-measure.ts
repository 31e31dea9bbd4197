import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CompressedVariant, LayerSparsityRow } from '../../shared/compression-variant.js';
import type { ActivationRange, CompressionSettings, ModelArchitecture, ModelMetrics } from '../../shared/model-package.js';
import type { Dataset } from '../data/dataset.js';
import { softmaxCrossEntropy } from '../kernels/softmax-cross-entropy.js';
import type { Model } from '../models/model.js';
import { predictTestSet } from '../test-set-evaluation.js';
import type { NamedTensor } from './magnitude-pruning.js';
import { buildModelPackage, readModelPackage, recordModelMetrics, writeModelPackage } from './model-package-file.js';
import { timeInference } from './inference-timing.js';
import { inferenceModel, type InferenceModel } from './package-inference.js';
import { decodeTensor, type EncodedTensor } from './package-tensor-codec.js';

const LOSS_BATCH = 1000;

/** Test accuracy of `model` on the test split (classification; absent for regression). */
function measureAccuracy(dataset: Dataset, model: Pick<Model, 'apply'>, onProgress: (done: number, total: number) => void): { testAccuracy?: number } {
  const { predicted } = predictTestSet(dataset, model, onProgress);
  if (dataset.info.task !== 'classification') return {};
  let hits = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === dataset.test.y[i]) hits++;
  return { testAccuracy: hits / Math.max(1, predicted.length) };
}

/** The mean test loss (cross-entropy, or MSE in the target's units): the run's `done` line reports it for the original. */
export function testLoss(dataset: Dataset, model: Model): number {
  const { test, featureSize: fs } = dataset;
  const classification = dataset.info.task === 'classification';
  const std = dataset.standardisation?.targetStd ?? 1;
  let sum = 0;
  for (let offset = 0; offset < test.count; offset += LOSS_BATCH) {
    const size = Math.min(LOSS_BATCH, test.count - offset);
    sum +=
      size *
      tf.tidy(() => {
        const output = model.apply(tf.tensor2d(test.x.subarray(offset * fs, (offset + size) * fs), [size, fs]));
        const loss = classification
          ? softmaxCrossEntropy(output, tf.tensor1d(test.y.subarray(offset, offset + size) as Int32Array, 'int32')).loss
          : tf.losses.meanSquaredError(tf.tensor2d(test.y.subarray(offset, offset + size) as Float32Array, [size, 1]), output);
        return loss.dataSync()[0]!;
      });
  }
  return (sum / Math.max(1, test.count)) * (classification ? 1 : std * std);
}

/** Where a compression run keeps its variants, and what it records of each. */
export interface VariantTarget {
  runId: string;
  sourceRunId: string;
  modelsDir: string;
  architecture: ModelArchitecture;
  now: () => number;
}

export interface VariantInput {
  label: string;
  compression: CompressionSettings;
  tensors: readonly EncodedTensor[];
  /** What is known before measuring: how it runs, each tensor's restoration error. */
  metrics: Pick<ModelMetrics, 'inferencePath' | 'layerErrors'>;
  activations?: ActivationRange[];
  layers?: LayerSparsityRow[];
}

/**
 * Writes a variant as the hpc-model package `<modelsDir>/<label>/` (id `<runId>.<label>`; never
 * over an existing one), then measures its test accuracy on the package as stored and as it runs
 * (inferenceModel: the int8 kernels, or the float32 weights it restores), records it in the
 * manifest and returns the variant as the run's `variant` event carries it.
 */
export function storeMeasuredVariant(target: VariantTarget, dataset: Dataset, input: VariantInput, onProgress: (done: number, total: number) => void): CompressedVariant {
  const modelId = `${target.runId}.${input.label}`;
  const dir = join(target.modelsDir, input.label);
  writeModelPackage(
    dir,
    buildModelPackage({
      id: modelId,
      architecture: target.architecture,
      tensors: input.tensors,
      ...(input.activations ? { activations: input.activations } : {}),
      metrics: input.metrics,
      lineage: { sourceRunId: target.sourceRunId, compression: input.compression, createdAt: target.now() },
    }),
  );
  const { manifest, weights, tensors } = readModelPackage(dir);
  const model = inferenceModel(manifest, weights, tensors);
  let accuracy: { testAccuracy?: number };
  try {
    accuracy = measureAccuracy(dataset, model, onProgress);
  } finally {
    model.dispose();
  }
  return {
    modelId,
    label: input.label,
    compression: input.compression,
    metrics: recordModelMetrics(dir, accuracy),
    ...(input.layers ? { layers: input.layers } : {}),
  };
}

/**
 * The float32 tensors a package of `encoded` restores on loading (float16 widened, int8
 * dequantized, CSR made dense): what quantization calibrates activations on and measures each
 * tensor's restoration error against, so both are the stored model's.
 */
export function restoredTensors(encoded: readonly EncodedTensor[], architecture: ModelArchitecture): NamedTensor[] {
  const pkg = buildModelPackage({
    id: 'restored',
    architecture,
    tensors: encoded,
    metrics: {},
    lineage: { sourceRunId: 'restored', compression: { kind: 'none' }, createdAt: 0 },
  });
  return pkg.manifest.tensors.map((entry) => decodeTensor(entry, pkg.weights));
}

/** A model's parameters as named float32 tensors, in its order. */
export function modelTensors(model: Model): NamedTensor[] {
  return model.variables.map((v, i) => ({ name: model.names[i]!, shape: [...v.shape], values: Float32Array.from(v.dataSync() as Float32Array) }));
}

/**
 * Times the stored variants side by side (timeInference), each as its package runs (the int8
 * kernels, or the float32 weights it restores), records each one's samples/s in its manifest, and
 * returns them with it.
 */
export function timeStoredVariants(
  target: VariantTarget,
  dataset: Dataset,
  variants: readonly CompressedVariant[],
  onProgress: (done: number, total: number) => void,
): CompressedVariant[] {
  const dirs = variants.map((v) => join(target.modelsDir, v.label));
  const models: InferenceModel[] = [];
  try {
    for (const dir of dirs) {
      const { manifest, weights, tensors } = readModelPackage(dir);
      models.push(inferenceModel(manifest, weights, tensors));
    }
    const speeds = timeInference(dataset, models, onProgress);
    return variants.map((v, i) => ({ ...v, metrics: recordModelMetrics(dirs[i]!, { samplesPerSec: speeds[i]! }) }));
  } finally {
    for (const model of models) model.dispose();
  }
}
