import { describe, expect, it } from 'vitest';
import { configEntries } from '../../shared/run-labels.js';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { compareRows } from '../../renderer/src/series/run-comparison.js';

describe('run comparison rows', () => {
  it('marks exactly the settings that differ between runs', () => {
    const rows = compareRows([
      configEntries(DEFAULT_RUN_CONFIG),
      configEntries({ ...DEFAULT_RUN_CONFIG, lr: 0.01 }),
      configEntries({ ...DEFAULT_RUN_CONFIG, lr: 0.01, limit: 500 }),
    ]);
    expect(rows.filter((r) => r.differs).map((r) => [r.label, r.values])).toEqual([
      ['lr', ['0.001', '0.01', '0.01']],
      ['limit', ['all', 'all', '500']],
    ]);
    expect(rows.find((r) => r.label === 'model')).toEqual({ label: 'model', values: ['mlp', 'mlp', 'mlp'], differs: false });
  });

  it('keeps a row one run lacks, empty for that run', () => {
    expect(compareRows([[['a', '1']], [['a', '1'], ['b', '2']]])).toEqual([
      { label: 'a', values: ['1', '1'], differs: false },
      { label: 'b', values: ['', '2'], differs: true },
    ]);
  });
});
