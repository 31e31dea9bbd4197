import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../host/cli/config-from-flags.js';

const base = { dataset: 'fashion-mnist', datasetDir: '/data', model: 'mlp' };

describe('train flags', () => {
  it('builds a config with defaults', () => {
    const r = configFromFlags({ ...base, epochs: '2', batchSize: '32', lr: '1e-3' });
    expect(r).toEqual({
      ok: true,
      config: { dataset: { kind: 'fashion-mnist', dir: '/data' }, model: 'mlp', epochs: 2, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 42 },
    });
  });

  it.each([
    [{ lr: '0' }, 'lr', '--lr: must be a finite number > 0 and ≤ 10 (got "0")'],
    [{ lr: 'fast' }, 'lr', '--lr: must be a finite number > 0 and ≤ 10 (got "fast")'],
    [{ batchSize: '-3' }, 'batchSize', '--batch-size: must be an integer from 1 to 65536 (got "-3")'],
    [{ epochs: '0' }, 'epochs', '--epochs: must be an integer from 1 to 10000 (got "0")'],
    [{ model: 'gpt' }, 'model', '--model: must be one of: linear, mlp, cnn (got "gpt")'],
    [{ dataset: 'imagenet' }, 'dataset', '--dataset: must be one of: fashion-mnist, csv:FILE (got "imagenet")'],
    [{ dataset: 'csv:x.csv' }, 'target', '--target: must name a column of the CSV'],
  ])('%j → error on %s', (patch, field, message) => {
    const r = configFromFlags({ ...base, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ field, message });
  });

  it('requires a dataset and a model', () => {
    const r = configFromFlags({ datasetDir: '/data' });
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['dataset', 'model']);
  });
});
