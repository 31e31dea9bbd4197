import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CompressedVariant, LayerSparsityRow } from '../../shared/compression-variant.js';
import type { ActivationRange, CompressionSettings, ModelArchitecture, ModelMetrics } from '../../shared/model-package.js';
import type { Dataset } from '../data/dataset.js';
import { softmaxCrossEntropy } from '../kernels/softmax-cross-entropy.js';
import type { Model } from '../models/model.js';
import { predictTestSet } from '../test-set-evaluation.js';
import type { NamedTensor } from './magnitude-pruning.js';
import { buildModelPackage, writeModelPackage } from './model-package-file.js';
import { decodeTensor, type EncodedTensor } from './package-tensor-codec.js';

const LOSS_BATCH = 1000;

/** What a measurement reports as it goes: the test split's progress. */
export type MeasureProgress = (done: number, total: number) => void;

/** Timed passes over the test split per model; the fastest counts. */
const TIMED_PASSES = 3;

/**
 * Test accuracy (classification) and inference samples/s of `model` on the test split. The speed
 * is the fastest of TIMED_PASSES passes after the first (which gives the accuracy and warms the
 * backend up): timing one pass made whichever model was measured first, the fp32 original, read
 * slower than the same weights measured later on this shared machine.
 */
export function measureModel(dataset: Dataset, model: Model, onProgress: MeasureProgress): { testAccuracy?: number; samplesPerSec: number } {
  const { predicted } = predictTestSet(dataset, model, onProgress);
  let fastest = Infinity;
  for (let pass = 0; pass < TIMED_PASSES; pass++) {
    const started = performance.now();
    predictTestSet(dataset, model, () => {});
    fastest = Math.min(fastest, performance.now() - started);
  }
  const seconds = Math.max(1e-6, fastest / 1000);
  const samplesPerSec = dataset.test.count / seconds;
  if (dataset.info.task !== 'classification') return { samplesPerSec };
  let hits = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === dataset.test.y[i]) hits++;
  return { testAccuracy: hits / Math.max(1, predicted.length), samplesPerSec };
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
  metrics: Omit<ModelMetrics, 'sizeBytes'>;
  activations?: ActivationRange[];
  layers?: LayerSparsityRow[];
}

/**
 * Writes a variant as the hpc-model package `<modelsDir>/<label>/` (id `<runId>.<label>`; never
 * over an existing one) and returns it as the run's `variant` event carries it.
 */
export function storeVariant(target: VariantTarget, input: VariantInput): CompressedVariant {
  const modelId = `${target.runId}.${input.label}`;
  const pkg = buildModelPackage({
    id: modelId,
    architecture: target.architecture,
    tensors: input.tensors,
    ...(input.activations ? { activations: input.activations } : {}),
    metrics: input.metrics,
    lineage: { sourceRunId: target.sourceRunId, compression: input.compression, createdAt: target.now() },
  });
  writeModelPackage(join(target.modelsDir, input.label), pkg);
  return {
    modelId,
    label: input.label,
    compression: input.compression,
    metrics: pkg.manifest.metrics,
    ...(input.layers ? { layers: input.layers } : {}),
  };
}

/**
 * The float32 tensors a package of `encoded` restores on loading (float16 widened, int8
 * dequantized, CSR made dense): what a variant's measurements run on, so they are the stored
 * model's, not the one before it was encoded.
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
