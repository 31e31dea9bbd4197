import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelArchitecture } from '../../shared/model-package.js';
import { float16ToFloat32 } from '../../trainer/compression/float16.js';
import type { NamedTensor } from '../../trainer/compression/magnitude-pruning.js';
import { buildModelPackage, readModelPackage, writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { modelWithTensors } from '../../trainer/compression/package-model.js';
import { encodeModelTensors, type ModelEncoding } from '../../trainer/compression/package-tensor-codec.js';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE, TfjsExportError, toTfjsModel, writeTfjsModel } from '../../trainer/compression/tfjs-export.js';
import { CNN_ARCHITECTURE, CNN_SHAPES, LINEAGE, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors, sameValues } from '../support/compression-fixtures.js';

const mlp = parameterTensors(MLP_SHAPES, 21);
const packageOf = (encoding: ModelEncoding, tensors: NamedTensor[] = mlp, architecture: ModelArchitecture = MLP_ARCHITECTURE) =>
  buildModelPackage({ id: 'export-test', architecture, tensors: encodeModelTensors(tensors, encoding), metrics: {}, lineage: LINEAGE });

/** What tfjs-core's own weight decoding makes of an exported model.json and shard. */
function decodedByTfjs(modelJson: tf.io.ModelJSON, shard: Uint8Array): Record<string, Float32Array> {
  const buffer = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, modelJson.weightsManifest.flatMap((g) => g.weights));
  const out = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.dataSync() as Float32Array]));
  tf.dispose(Object.values(tensors));
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TensorFlow.js export', () => {
  it('writes model.json and a shard that tfjs-core decodes to the same float32 values', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tfjs-')), 'mlp');
    writeTfjsModel(dir, packageOf('float32'));
    const modelJson = JSON.parse(readFileSync(join(dir, TFJS_MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest).toEqual([{ paths: [TFJS_WEIGHTS_FILE], weights: MLP_SHAPES.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }]);
    const decoded = decodedByTfjs(modelJson, new Uint8Array(readFileSync(join(dir, TFJS_WEIGHTS_FILE))));
    for (const t of mlp) expect(sameValues(decoded[t.name]!, t.values), t.name).toBe(true);
  });

  it('keeps float16 as TF.js float16 quantization, decoding to the values our package restores', () => {
    const pkg = packageOf('float16');
    const { modelJson, weightData } = toTfjsModel(pkg);
    expect(modelJson.weightsManifest[0]!.weights[0]!.quantization).toEqual({ dtype: 'float16' });
    const decoded = decodedByTfjs(modelJson, weightData);
    const ours = Object.fromEntries(decodePackage(pkg).map((t) => [t.name, t.values]));
    for (const name of Object.keys(ours)) expect(sameValues(decoded[name]!, ours[name]!), name).toBe(true);
  });

  it('widens every half exactly as TF.js does', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const spec: tf.io.WeightsManifestEntry = { name: 'all', shape: [0x10000], dtype: 'float32', quantization: { dtype: 'float16' } };
    const decoded = decodedByTfjs({ modelTopology: {}, weightsManifest: [{ paths: [], weights: [spec] }] }, new Uint8Array(all.buffer));
    const ours = float16ToFloat32(all);
    for (let i = 0; i < all.length; i++) {
      if (!Object.is(decoded.all![i], ours[i]) && !(Number.isNaN(decoded.all![i]) && Number.isNaN(ours[i]))) expect.fail(`half ${i.toString(16)}: TF.js ${decoded.all![i]}, ours ${ours[i]}`);
    }
  });

  it('turns per-tensor int8 into TF.js uint8 with scale and min, decoding to our dequantized values', () => {
    for (const symmetric of [true, false]) {
      const pkg = packageOf({ int8: { granularity: 'per-tensor', symmetric } });
      const { modelJson, weightData } = toTfjsModel(pkg);
      const spec = modelJson.weightsManifest[0]!.weights[0]!;
      expect(spec.quantization).toEqual({ dtype: 'uint8', scale: expect.any(Number), min: expect.any(Number) });
      const decoded = decodedByTfjs(modelJson, weightData);
      for (const t of decodePackage(pkg)) {
        const tolerance = t.name.endsWith('/kernel') ? 1e-6 * spec.quantization!.scale! * 256 : 0;
        t.values.forEach((v, i) => {
          if (Math.abs(decoded[t.name]![i]! - v) > tolerance) expect.fail(`${t.name}[${i}]: TF.js ${decoded[t.name]![i]}, ours ${v}`);
        });
      }
    }
  });

  it('gives a layers model that tfjs-layers loads and that predicts what our model predicts, a one-layer student’s too', async () => {
    const student: ModelArchitecture = { ...MLP_ARCHITECTURE, hidden: [64] };
    const studentShapes: [string, number[]][] = [['dense1/kernel', [784, 64]], ['dense1/bias', [64]], ['dense2/kernel', [64, 10]], ['dense2/bias', [10]]];
    for (const [architecture, shapes] of [[MLP_ARCHITECTURE, MLP_SHAPES], [CNN_ARCHITECTURE, CNN_SHAPES], [student, studentShapes]] as const) {
      const weights = parameterTensors(shapes, 5);
      const { modelJson, weightData } = toTfjsModel(packageOf('float32', weights, architecture));
      const loaded = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest[0]!.weights,
          weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
        }),
      );
      const model = modelWithTensors(architecture, weights);
      const x = tf.randomUniform([4, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
      const ours = model.apply(x);
      const theirs = loaded.predict(x) as tf.Tensor;
      expect(theirs.shape).toEqual([4, 10]);
      const difference = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!;
      expect(difference, architecture.model).toBeLessThan(1e-4);
      tf.dispose([x, ours, theirs, ...model.variables]);
      loaded.dispose();
    }
  });

  it('refuses per-channel int8 and CSR, naming the tensor and the format to use instead', () => {
    expect(() => toTfjsModel(packageOf({ int8: { granularity: 'per-channel', symmetric: true } }))).toThrow(TfjsExportError);
    expect(() => toTfjsModel(packageOf({ int8: { granularity: 'per-channel', symmetric: true } }))).toThrow(
      /cannot hold dense1\/kernel \(int8 with one scale per channel of axis 1\).*app's own format \(hpc-model\)/,
    );
    expect(() => toTfjsModel(packageOf({ csr: 'float32' }))).toThrow(/cannot hold dense1\/kernel \(sparse, \d+ stored values in CSR\)/);
  });
});

function decodePackage(pkg: ReturnType<typeof packageOf>): NamedTensor[] {
  const dir = join(mkdtempSync(join(tmpdir(), 'tfjs-pkg-')), 'pkg');
  writeModelPackage(dir, pkg);
  return readModelPackage(dir).tensors;
}
