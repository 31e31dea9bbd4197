import { describe, expect, it } from 'vitest';
import { apiMethods } from '../../shared/api-contract.js';
import { fieldErrors } from '../../shared/field-error.js';
import { DEFAULT_RUN_CONFIG, RunConfig } from '../../shared/run-config.js';
import { RpcRequest, ServerMessage } from '../../shared/rpc-protocol.js';
import { TrainerCommand, TrainerEvent } from '../../shared/trainer-protocol.js';

const messagesFor = (value: unknown) => {
  const r = RunConfig.safeParse(value);
  return r.success ? [] : fieldErrors(r.error).map((e) => e.message);
};

describe('run config schema', () => {
  it('accepts the defaults and a CSV regression config', () => {
    expect(RunConfig.safeParse(DEFAULT_RUN_CONFIG).success).toBe(true);
    const csv = { ...DEFAULT_RUN_CONFIG, model: 'linear', dataset: { kind: 'csv', path: 'a.csv', target: 'y' } };
    expect(RunConfig.safeParse(csv).success).toBe(true);
  });

  it.each([
    [{ lr: 0 }, 'lr: must be a finite number > 0 and ≤ 10'],
    [{ lr: -1 }, 'lr: must be a finite number > 0 and ≤ 10'],
    [{ lr: Infinity }, 'lr: must be a finite number > 0 and ≤ 10'],
    [{ lr: Number.NaN }, 'lr: must be a finite number > 0 and ≤ 10'],
    [{ batchSize: 0 }, 'batchSize: must be an integer from 1 to 65536'],
    [{ batchSize: 2.5 }, 'batchSize: must be an integer from 1 to 65536'],
    [{ epochs: 0 }, 'epochs: must be an integer from 1 to 10000'],
    [{ model: 'resnet' }, 'model: must be one of: linear, mlp, cnn'],
    [{ optimizer: 'rmsprop' }, 'optimizer: must be one of: sgd, momentum, adam'],
    [{ dataset: { kind: 'imagenet' } }, 'dataset.kind: must be one of: fashion-mnist, csv:FILE, images:DIR'],
    [{ dataset: { kind: 'csv', path: 'a.csv', target: '' } }, 'dataset.target: must name a column of the CSV'],
    [{ dataset: { kind: 'images', dir: '' } }, 'dataset.dir: must be a folder path'],
    [{ dataset: { kind: 'images', dir: '/p', split: { mode: 'ratio', validation: 0.6, test: 0.1 } } }, 'dataset.split.validation: must be a number from 0 to 0.5'],
    [{ dataset: { kind: 'images', dir: '/p', split: { mode: 'ratio', validation: 0.1, test: -0.1 } } }, 'dataset.split.test: must be a number from 0 to 0.5'],
    [{ dataset: { kind: 'images', dir: '/p', split: { mode: 'random' } } }, 'dataset.split.mode: must be {mode: "ratio", validation, test} or {mode: "folders"}'],
    [{ dataset: { kind: 'images', dir: '/p', imageSize: 256 } }, 'dataset.imageSize: must be an integer from 8 to 128'],
    [{ dataset: { kind: 'images', dir: '/p', channels: 4 } }, 'dataset.channels: must be one of: auto, 1, 3'],
  ])('rejects %j naming the field and its accepted range', (patch, message) => {
    expect(messagesFor({ ...DEFAULT_RUN_CONFIG, ...patch })).toContain(message);
  });
});

describe('trainer protocol', () => {
  it('accepts each command and rejects malformed ones', () => {
    const start = { type: 'start', runId: 'r', config: DEFAULT_RUN_CONFIG, checkpointDir: '/tmp/c', resume: false };
    expect(TrainerCommand.safeParse(start).success).toBe(true);
    expect(TrainerCommand.safeParse({ type: 'set-hyperparams', change: { lr: 0.01 } }).success).toBe(true);
    expect(TrainerCommand.safeParse({ type: 'set-hyperparams', change: {} }).success).toBe(false);
    expect(TrainerCommand.safeParse({ type: 'set-hyperparams', change: { lr: -1 } }).success).toBe(false);
    expect(TrainerCommand.safeParse({ type: 'launch-missiles' }).success).toBe(false);
    expect(TrainerCommand.safeParse({ ...start, config: { ...DEFAULT_RUN_CONFIG, batchSize: 0 } }).success).toBe(false);
  });

  it('accepts a step event and rejects one missing its loss', () => {
    const step = {
      type: 'step', time: 1, step: 3, epoch: 1, epochProgress: 0.1, loss: 0.5, lr: 0.001, batchSize: 64,
      samplesPerSec: 100, samplesSeen: 192, etaSec: 10,
    };
    expect(TrainerEvent.safeParse(step).success).toBe(true);
    const { loss: _loss, ...noLoss } = step;
    expect(TrainerEvent.safeParse(noLoss).success).toBe(false);
  });
});

describe('rpc envelopes', () => {
  it('validates requests, responses and events', () => {
    expect(RpcRequest.safeParse({ kind: 'request', id: 1, method: 'listRuns', params: {} }).success).toBe(true);
    expect(RpcRequest.safeParse({ kind: 'request', id: -1, method: 'listRuns' }).success).toBe(false);
    expect(RpcRequest.safeParse({ kind: 'request', id: 1, method: 'x'.repeat(500) }).success).toBe(false);
    expect(ServerMessage.safeParse({ kind: 'response', id: 1, ok: false, error: { code: 'invalid', message: 'm' } }).success).toBe(true);
    expect(ServerMessage.safeParse({ kind: 'response', id: 1, ok: false, error: { code: 'teapot', message: 'm' } }).success).toBe(false);
    expect(ServerMessage.safeParse({ kind: 'event', name: 'runs-changed', payload: {} }).success).toBe(true);
  });

  it('names the nested field of a bad startRun', () => {
    const r = apiMethods.startRun.params.safeParse({ config: { ...DEFAULT_RUN_CONFIG, lr: 0 } });
    expect(r.success).toBe(false);
    if (!r.success) expect(fieldErrors(r.error, 'config')).toEqual([{ field: 'lr', message: 'lr: must be a finite number > 0 and ≤ 10' }]);
  });
});
