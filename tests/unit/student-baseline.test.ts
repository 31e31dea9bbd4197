import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG, type RunConfig } from '../../shared/run-config.js';
import { EMPTY_RUN_META, type RunSummary } from '../../shared/run-record.js';
import { findStudentAlone, studentAloneConfig } from '../../renderer/src/series/student-baseline.js';

const summary = (id: string, config: RunConfig, createdAt: number): RunSummary => ({
  id,
  createdAt,
  updatedAt: createdAt,
  config,
  status: 'done',
  step: 10,
  epoch: 1,
  hints: 0,
  resumable: true,
  tornTail: false,
  meta: EMPTY_RUN_META,
});

describe('the distilled student’s run alone', () => {
  const distilled: RunConfig = { ...DEFAULT_RUN_CONFIG, hidden: [64], distillation: { teacherRunId: 'run-20261125-000000-aaaa', temperature: 4, alpha: 0.5 } };

  it('is the same config without the teacher', () => {
    expect(studentAloneConfig(distilled)).toEqual({ ...DEFAULT_RUN_CONFIG, hidden: [64] });
  });

  it('is found whatever the order of its config’s keys, the newest first, and not when any setting differs', () => {
    const d = summary('run-d', distilled, 5);
    const reordered = Object.fromEntries(Object.entries(studentAloneConfig(distilled)).reverse()) as RunConfig;
    const older = summary('run-old', studentAloneConfig(distilled), 1);
    const newer = summary('run-new', reordered, 3);
    const otherSeed = summary('run-seed', { ...studentAloneConfig(distilled), seed: 7 }, 4);
    expect(findStudentAlone([d, older, newer, otherSeed], d)?.id).toBe('run-new');
    expect(findStudentAlone([d, otherSeed], d)).toBeNull();
  });
});
