import type { io } from '@tensorflow/tfjs-core';
import { MODEL_PACKAGE_FORMAT, tensorSections, type ModelManifest, type TensorEntry } from '../../shared/model-package.js';
import { DEFAULT_MLP_HIDDEN } from '../../shared/run-config.js';
import { writeFolderAtomically } from './atomic-folder.js';
import type { ModelPackage } from './model-package-file.js';

export const TFJS_MODEL_FILE = 'model.json';
/** TensorFlow.js's own name for a single weight shard. */
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

/** What TensorFlow.js's format cannot hold, named by tensor. */
export class TfjsExportError extends Error {
  constructor(
    readonly tensor: string,
    reason: string,
  ) {
    super(
      `TensorFlow.js's format cannot hold ${tensor} (${reason}): its weight manifest knows only dense tensors, ` +
        `as float32 or with per-tensor uint8/uint16/float16 quantization. Export the model in the app's own format (${MODEL_PACKAGE_FORMAT}) instead.`,
    );
    this.name = 'TfjsExportError';
  }
}

export interface TfjsModel {
  modelJson: io.ModelJSON;
  weightData: Uint8Array;
}

/**
 * A package as a TensorFlow.js layers model: a Keras-style Sequential topology rebuilt from the
 * architecture and the kernels' shapes (so `tf.loadLayersModel` builds the same network, logits
 * out), and one weight shard. float32 and float16 tensors keep their bytes; a per-tensor int8
 * tensor becomes TF.js's uint8 (u = q + 128, min = −(zeroPoint + 128) × scale, so
 * u × scale + min = (q − zeroPoint) × scale). Per-channel int8 and CSR are refused.
 */
export function toTfjsModel(pkg: ModelPackage): TfjsModel {
  const { manifest, weights } = pkg;
  const chunks: Uint8Array[] = [];
  const specs: io.WeightsManifestEntry[] = manifest.tensors.map((t) => {
    const s = tensorSections(t)[0]!.section;
    const bytes = weights.subarray(s.offset, s.offset + s.length);
    switch (t.encoding) {
      case 'float32':
        chunks.push(bytes);
        return { name: t.name, shape: t.shape, dtype: 'float32' };
      case 'float16':
        chunks.push(bytes);
        return { name: t.name, shape: t.shape, dtype: 'float32', quantization: { dtype: 'float16' } };
      case 'int8': {
        const q = t.quantization;
        if (q.granularity === 'per-channel') throw new TfjsExportError(t.name, `int8 with one scale per channel of axis ${q.axis}`);
        const unsigned = new Uint8Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) unsigned[i] = (bytes[i]! + 128) & 0xff;
        chunks.push(unsigned);
        return { name: t.name, shape: t.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale: q.scales[0]!, min: -(q.zeroPoints[0]! + 128) * q.scales[0]! } };
      }
      case 'csr':
        throw new TfjsExportError(t.name, `sparse, ${t.nnz} stored values in CSR`);
    }
  });
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.byteLength;
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'HPC Studio',
      convertedBy: null,
      modelTopology: kerasTopology(manifest),
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs }],
      userDefinedMetadata: {
        hpcStudio: { id: manifest.id, output: 'logits', architecture: manifest.architecture, lineage: manifest.lineage, metrics: manifest.metrics, packageSha256: manifest.weights.sha256 },
      },
    },
    weightData,
  };
}

/** Writes `dir` (which must not exist) with model.json and the weight shard, as a whole or not at all. */
export function writeTfjsModel(dir: string, pkg: ModelPackage): TfjsModel {
  const model = toTfjsModel(pkg);
  writeFolderAtomically(dir, tfjsModelFiles(model));
  return model;
}

/** model.json and its weight shard, by name: what a folder or an archive of the model holds. */
export function tfjsModelFiles(model: TfjsModel): { name: string; bytes: Uint8Array }[] {
  return [
    { name: TFJS_WEIGHTS_FILE, bytes: model.weightData },
    { name: TFJS_MODEL_FILE, bytes: Buffer.from(`${JSON.stringify(model.modelJson, null, 2)}\n`, 'utf8') },
  ];
}

type KerasLayer = { class_name: string; config: Record<string, unknown> };

/** An mlp's dense1 … dense(n+1): ReLU after each hidden layer, logits out. */
function mlpLayers(hidden: number, dense: (name: string, relu: boolean, first?: boolean) => KerasLayer): KerasLayer[] {
  return Array.from({ length: hidden + 1 }, (_, i) => dense(`dense${i + 1}`, i < hidden, i === 0));
}

/** The Sequential topology of trainer/models' networks; widths come from the kernels, so it follows the weights it is given. */
function kerasTopology(manifest: ModelManifest): object {
  const { architecture } = manifest;
  const kernel = (layer: string): number[] => {
    const t = manifest.tensors.find((e: TensorEntry) => e.name === `${layer}/kernel`);
    if (!t) throw new TfjsExportError(`${layer}/kernel`, `missing: a ${architecture.model} model needs it`);
    return t.shape;
  };
  const features = architecture.inputShape.reduce((a, b) => a * b, 1);
  const input = { batch_input_shape: [null, features], dtype: 'float32' };
  const dense = (name: string, relu: boolean, first = false): KerasLayer => ({
    class_name: 'Dense',
    config: { name, units: kernel(name)[1], activation: relu ? 'relu' : 'linear', use_bias: true, ...(first ? input : {}) },
  });
  const conv = (name: string): KerasLayer => {
    const [h, w, , filters] = kernel(name);
    return {
      class_name: 'Conv2D',
      config: { name, filters, kernel_size: [h, w], strides: [1, 1], padding: 'valid', data_format: 'channels_last', activation: 'relu', use_bias: true },
    };
  };
  const pool = (name: string): KerasLayer => ({
    class_name: 'MaxPooling2D',
    config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' },
  });
  const layers: KerasLayer[] =
    architecture.model === 'linear' ? [dense('dense', false, true)]
    : architecture.model === 'mlp' ? mlpLayers(architecture.hidden?.length ?? DEFAULT_MLP_HIDDEN.length, dense)
    : [
        { class_name: 'Reshape', config: { name: 'image', target_shape: architecture.inputShape, ...input } },
        conv('conv1'),
        pool('pool1'),
        conv('conv2'),
        pool('pool2'),
        { class_name: 'Flatten', config: { name: 'flatten' } },
        dense('dense1', true),
        dense('dense2', false),
      ];
  return { class_name: 'Sequential', config: { name: manifest.id, layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}
