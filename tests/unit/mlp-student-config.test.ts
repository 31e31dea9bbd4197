import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fieldErrors } from '../../shared/field-error.js';
import { fashionMnistShape, parameterCount } from '../../shared/memory-estimate.js';
import { describeModel, parseModelArg } from '../../shared/model-spec.js';
import { RunConfig } from '../../shared/run-config.js';
import { HyperparamChange, type DatasetInfo } from '../../shared/trainer-protocol.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { createModel } from '../../trainer/models/create-model.js';

const FASHION_MNIST: DatasetInfo = { task: 'classification', trainSize: 1, validationSize: 0, testSize: 0, inputShape: [28, 28, 1], classes: 10 };
const BASE = { dataset: { kind: 'fashion-mnist', dir: '/d' }, model: 'mlp', epochs: 1, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 1 };
const errorsOf = (candidate: unknown) => {
  const parsed = RunConfig.safeParse(candidate);
  return parsed.success ? [] : fieldErrors(parsed.error);
};

describe('an mlp with chosen hidden widths', () => {
  beforeAll(async () => {
    await chooseBackend('cpu');
  });

  it('is plain mlp when no widths are given: the same parameter names and the same seeded start as 256,128', () => {
    const plain = createModel('mlp', FASHION_MNIST, 7);
    const explicit = createModel({ model: 'mlp', hidden: [256, 128] }, FASHION_MNIST, 7);
    expect(plain.names).toEqual(['dense1/kernel', 'dense1/bias', 'dense2/kernel', 'dense2/bias', 'dense3/kernel', 'dense3/bias']);
    expect(explicit.names).toEqual(plain.names);
    plain.variables.forEach((v, i) => expect(Array.from(explicit.variables[i]!.dataSync())).toEqual(Array.from(v.dataSync())));
    tf.dispose([...plain.variables, ...explicit.variables]);
  });

  it('builds mlp:64 as 784 → 64 → 10, with as many parameters as the host counts', () => {
    const student = createModel({ model: 'mlp', hidden: [64] }, FASHION_MNIST, 7);
    expect(student.variables.map((v) => v.shape)).toEqual([[784, 64], [64], [64, 10], [10]]);
    const size = student.variables.reduce((sum, v) => sum + v.size, 0);
    expect(size).toBe(50_890);
    expect(parameterCount({ model: 'mlp', hidden: [64] }, fashionMnistShape(undefined))).toBe(size);
    expect(parameterCount({ model: 'mlp' }, fashionMnistShape(undefined))).toBe(235_146);
    expect(student.apply(tf.zeros([3, 784])).shape).toEqual([3, 10]);
    tf.dispose([...student.variables]);
  });

  it('is named on the command line as mlp:W1[,W2…]', () => {
    expect(parseModelArg('mlp:128,64')).toEqual({ ok: true, spec: { model: 'mlp', hidden: [128, 64] } });
    expect(parseModelArg('cnn')).toEqual({ ok: true, spec: { model: 'cnn' } });
    expect(parseModelArg('cnn:32')).toEqual({ ok: false, message: 'only an mlp takes hidden widths (mlp:W1[,W2…])' });
    expect(parseModelArg('mlp:64,x')).toMatchObject({ ok: false, message: expect.stringContaining('integers from 1 to 4096') });
    expect(parseModelArg('rnn:2')).toEqual({ ok: false, message: 'must be linear | mlp | mlp:W1[,W2…] | cnn' });
    expect(describeModel({ model: 'mlp', hidden: [128, 64] })).toBe('mlp:128,64');
    expect(describeModel({ model: 'cnn' })).toBe('cnn');
  });

  it('is checked by the run config, naming the field and its range', () => {
    expect(errorsOf({ ...BASE, hidden: [64, 32] })).toEqual([]);
    expect(errorsOf({ ...BASE, model: 'cnn', hidden: [64] })).toEqual([{ field: 'hidden', message: 'hidden: only for the mlp model (got model cnn)' }]);
    expect(errorsOf({ ...BASE, hidden: [] })).toEqual([{ field: 'hidden', message: 'hidden: must be a list of 1–8 layer widths' }]);
    expect(errorsOf({ ...BASE, hidden: [64, 5000] })).toEqual([{ field: 'hidden.1', message: 'hidden.1: must be an integer from 1 to 4096' }]);
  });
});

describe('a run config with distillation', () => {
  it('defaults temperature to 4 and alpha to 0.5, and checks their ranges', () => {
    expect(RunConfig.parse({ ...BASE, distillation: { teacherRunId: 'run-20260101-000000-abcd' } }).distillation).toEqual({
      teacherRunId: 'run-20260101-000000-abcd', temperature: 4, alpha: 0.5,
    });
    expect(errorsOf({ ...BASE, distillation: { teacherRunId: 'r', temperature: 0.2, alpha: 1.5 } })).toEqual([
      { field: 'distillation.temperature', message: 'distillation.temperature: must be a number from 0.5 to 20' },
      { field: 'distillation.alpha', message: 'distillation.alpha: must be a number from 0 to 1' },
    ]);
    expect(errorsOf({ ...BASE, distillation: { teacherRunId: 'r' }, distribution: { parallel: 'data', peers: ['local', 'local'] } })).toEqual([
      { field: 'distillation', message: 'distillation: a distilled run trains on one trainer; leave out distribution' },
    ]);
  });

  it('takes live temperature and alpha changes like lr', () => {
    expect(HyperparamChange.parse({ temperature: 2 })).toEqual({ temperature: 2 });
    expect(HyperparamChange.safeParse({ alpha: 2 }).success).toBe(false);
    expect(HyperparamChange.safeParse({}).error?.issues[0]?.message).toBe('give one or more of lr, batchSize, temperature, alpha');
  });
});
