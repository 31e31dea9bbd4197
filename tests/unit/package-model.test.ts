import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModelPackage, readModelPackage, writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { architectureOf } from '../../trainer/compression/model-architecture.js';
import { modelWithTensors } from '../../trainer/compression/package-model.js';
import { encodeModelTensors, type ModelEncoding } from '../../trainer/compression/package-tensor-codec.js';
import { createModel } from '../../trainer/models/create-model.js';
import { CNN_SHAPES, LINEAGE, parameterTensors } from '../support/compression-fixtures.js';

const DATA = { task: 'classification' as const, inputShape: [28, 28, 1], classes: 10, trainSize: 0, validationSize: 0, testSize: 0 };
const architecture = architectureOf({ model: 'mlp' }, DATA);
const student = architectureOf({ model: 'mlp', hidden: [64] }, DATA);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A freshly initialised MLP's parameters, written as a package and read back into a new model. */
function roundTrip(encoding: ModelEncoding, shape = architecture) {
  const trained = createModel({ model: 'mlp', hidden: shape.hidden }, DATA, 7);
  const tensors = trained.names.map((name, i) => ({ name, shape: [...trained.variables[i]!.shape], values: trained.variables[i]!.dataSync() as Float32Array }));
  const dir = join(mkdtempSync(join(tmpdir(), 'package-model-')), 'model');
  writeModelPackage(dir, buildModelPackage({ id: 'roundtrip', architecture: shape, tensors: encodeModelTensors(tensors, encoding), metrics: {}, lineage: LINEAGE }));
  const read = readModelPackage(dir);
  const restored = modelWithTensors(read.manifest.architecture, read.tensors);
  const x = tf.randomUniform([64, 784], 0, 1, 'float32', 1) as tf.Tensor2D;
  const [before, after] = [trained.apply(x), restored.apply(x)];
  const result = { before: before.arraySync(), after: after.arraySync() };
  tf.dispose([x, before, after, ...trained.variables, ...restored.variables]);
  return result;
}

describe('packages into models', () => {
  it('export → import gives identical predictions for a float32 package', () => {
    const { before, after } = roundTrip('float32');
    expect(after).toEqual(before);
  });

  it("keeps a distilled student's own widths (mlp:64)", () => {
    expect(student.hidden).toEqual([64]);
    const { before, after } = roundTrip('float32', student);
    expect(after).toEqual(before);
  });

  it('an int8 per-channel package predicts the same classes for almost every input', () => {
    const { before, after } = roundTrip({ int8: { granularity: 'per-channel', symmetric: true } });
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    const agree = before.filter((row, i) => argmax(row) === argmax(after[i]!)).length;
    expect(agree / before.length).toBeGreaterThanOrEqual(0.95);
  });

  it('refuses weights of another architecture, naming the first that does not fit', () => {
    expect(() => modelWithTensors(architecture, parameterTensors(CNN_SHAPES, 1))).toThrow(/do not fit a mlp for input \[28, 28, 1\]: has 8 tensors, a mlp model 6 parameters/);
    const wrongWidth = parameterTensors([['dense1/kernel', [784, 64]], ['dense1/bias', [64]], ['dense2/kernel', [64, 128]], ['dense2/bias', [128]], ['dense3/kernel', [128, 10]], ['dense3/bias', [10]]], 1);
    expect(() => modelWithTensors(architecture, wrongWidth)).toThrow(/dense1\/kernel has shape \[784, 64\], the model needs \[784, 256\]/);
  });
});
