import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { PredictorEvent, widthProblem, type LoadModelCommand, type PredictCommand } from '../shared/deployment.js';
import type { ModelManifest } from '../shared/model-package.js';
import type { z } from 'zod';
import { checkModelWeights, ModelPackageError } from './compression/model-package-file.js';
import { inferenceModel, type InferenceModel } from './compression/package-inference.js';
import { InputError } from './input-error.js';
import { decodeRowBatch } from './row-batch-decoder.js';

/**
 * A trainer child serving one model: the package is checked as readModelPackage checks a folder
 * (schema, length, sha256, each tensor) and only its numbers are loaded into the architecture the
 * app builds itself (or the int8 kernels' layers), so nothing in a package is ever run. Then each
 * `predict` answers one batch.
 */
export class ModelPredictor {
  private loaded: { manifest: ModelManifest; model: InferenceModel } | null = null;

  constructor(private readonly send: (event: PredictorEvent) => void) {}

  get serving(): boolean {
    return this.loaded !== null;
  }

  /** Throws InputError (field `model`) for a package that fails its checks. */
  load(command: z.infer<typeof LoadModelCommand>): void {
    if (this.loaded) throw new InputError('model', `model: this predictor already serves ${this.loaded.manifest.id}`);
    const { manifest } = command;
    let model: InferenceModel;
    try {
      const weights = new Uint8Array(Buffer.from(command.weightsBase64, 'base64'));
      model = inferenceModel(manifest, weights, checkModelWeights(manifest, weights, `${manifest.id}'s weights.bin`));
    } catch (error) {
      if (error instanceof ModelPackageError || error instanceof RangeError) throw new InputError('model', `model: ${error.message}`);
      throw error;
    }
    this.loaded = { manifest, model };
    this.send({ type: 'model-loaded', time: Date.now(), modelId: manifest.id, sha256: manifest.weights.sha256 });
  }

  predict(command: z.infer<typeof PredictCommand>): void {
    const { requestId, batch } = command;
    const refuse = (field: string, message: string) => this.send({ type: 'prediction-error', time: Date.now(), requestId, field, message });
    if (!this.loaded) return refuse('modelId', 'modelId: no model is loaded in this predictor');
    const { manifest, model } = this.loaded;
    const problem = widthProblem(batch.width, manifest.architecture, manifest.id);
    if (problem) return refuse('input', problem);
    let flat: Float32Array;
    try {
      flat = decodeRowBatch(batch);
    } catch (error) {
      if (error instanceof InputError) return refuse(error.field, error.message);
      throw error;
    }
    const started = performance.now();
    const classification = manifest.architecture.task === 'classification';
    const values = tf.tidy(() => {
      const out = model.apply(tf.tensor2d(flat, [batch.rows, batch.width]));
      return classification ? tf.softmax(out) : out;
    });
    const data = values.dataSync() as Float32Array;
    const columns = values.shape[1]!;
    values.dispose();
    const computeMs = performance.now() - started;
    const outputs = Array.from({ length: batch.rows }, (_, i) => Array.from(data.subarray(i * columns, (i + 1) * columns)));
    this.send({
      type: 'predictions',
      time: Date.now(),
      requestId,
      outputs,
      ...(classification ? { classIds: outputs.map(argmax) } : {}),
      computeMs,
    });
  }
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
