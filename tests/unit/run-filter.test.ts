import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { EMPTY_RUN_META, type RunSummary } from '../../shared/run-record.js';
import { filterRuns, type RunQuery } from '../../renderer/src/series/run-filter.js';

const run = (id: string, createdAt: number, patch: Partial<RunSummary> = {}, model: 'mlp' | 'cnn' = 'mlp'): RunSummary => ({
  id, createdAt, updatedAt: createdAt, config: { ...DEFAULT_RUN_CONFIG, model }, status: 'done', step: 1, epoch: 1,
  resumable: true, tornTail: false, hints: 0, meta: EMPTY_RUN_META, ...patch,
});
const runs = [
  run('run-a', 1, { testAccuracy: 0.85 }),
  run('run-b', 2, { testAccuracy: 0.9 }, 'cnn'),
  run('run-c', 3, { status: 'failed' }, 'cnn'),
  run('run-e', 0, { config: { ...DEFAULT_RUN_CONFIG, dataset: { kind: 'csv', path: 'prices.csv', target: 'y' }, model: 'linear' } }),
];
const q = (patch: Partial<RunQuery>): RunQuery => ({ text: '', status: 'any', dataset: 'any', model: 'any', sort: 'newest', archived: false, ...patch });

describe('run list search, filters and sort', () => {
  it('sorts newest first by default, and by best accuracy on request', () => {
    expect(filterRuns(runs, q({})).map((r) => r.id)).toEqual(['run-c', 'run-b', 'run-a', 'run-e']);
    expect(filterRuns(runs, q({ sort: 'best-accuracy' })).map((r) => r.id)).toEqual(['run-b', 'run-a', 'run-c', 'run-e']);
  });

  it('filters by status, dataset and model, and searches every word', () => {
    expect(filterRuns(runs, q({ dataset: 'csv' })).map((r) => r.id)).toEqual(['run-e']);
    expect(filterRuns(runs, q({ dataset: 'fashion-mnist', model: 'cnn' })).map((r) => r.id)).toEqual(['run-c', 'run-b']);
    expect(filterRuns(runs, q({ status: 'failed' })).map((r) => r.id)).toEqual(['run-c']);
    expect(filterRuns(runs, q({ model: 'cnn', status: 'done' })).map((r) => r.id)).toEqual(['run-b']);
    expect(filterRuns(runs, q({ text: 'CNN fashion' })).map((r) => r.id)).toEqual(['run-c', 'run-b']);
    expect(filterRuns(runs, q({ text: 'resnet' }))).toEqual([]);
  });

  it('hides archived runs unless asked, and finds runs by tag and note', () => {
    const tagged = [...runs, run('run-d', 4, { meta: { tags: ['baseline'], note: 'before the LR sweep', archived: true } })];
    expect(filterRuns(tagged, q({})).map((r) => r.id)).not.toContain('run-d');
    expect(filterRuns(tagged, q({ archived: true, text: 'baseline' })).map((r) => r.id)).toEqual(['run-d']);
    expect(filterRuns(tagged, q({ archived: true, text: 'sweep' })).map((r) => r.id)).toEqual(['run-d']);
  });
});
