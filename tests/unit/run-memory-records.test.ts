import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../../host/run-summary.js';
import { RunColumns } from '../../host/series/run-columns.js';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { EMPTY_RUN_META, RunRecord } from '../../shared/run-record.js';
import { SeriesWindowQuery } from '../../shared/series-window.js';

const memory = (step: number, numTensors: number, peakStepBytes: number): RunRecord => ({
  type: 'memory', time: 1000 + step * 100, step, numTensors, numBytes: numTensors * 1000, peakStepBytes,
});
const hardware = (step: number, trainerRssBytes: number | null): RunRecord => ({
  type: 'hardware', time: 1000 + step * 100, step, cpuPercent: 10, memoryUsedBytes: 1, trainerCpuPercent: 90, trainerRssBytes, gpus: [],
});
const leakHint: RunRecord = {
  type: 'hint', time: 5000, step: 171, kind: 'tensor-leak', message: 'tensors are leaking', evidence: '+1.00 tensors/step',
};

describe('tensor readings in a run’s records', () => {
  it('validate as run records, with the trainer’s tensor-leak hint among the hints', () => {
    expect(RunRecord.parse(memory(1, 18, 5e6))).toMatchObject({ type: 'memory', numTensors: 18 });
    expect(RunRecord.parse(leakHint)).toMatchObject({ kind: 'tensor-leak' });
    expect(() => RunRecord.parse({ ...memory(1, 18, 5e6), numTensors: -1 })).toThrow(/numTensors/);
  });

  it('give the run’s summary its last tensor reading, the highest step peak, the peak trainer RSS and the hint count', () => {
    const header = { format: 'hpc-studio/run-log' as const, version: 1, runId: 'r', createdAt: 0, config: DEFAULT_RUN_CONFIG };
    const ctx = { active: false, resumable: false, tornTail: false, updatedAt: 0, meta: EMPTY_RUN_META };
    const records = [memory(1, 18, 9e6), hardware(1, 500e6), memory(50, 60, 7e6), hardware(60, 700e6), hardware(70, null), leakHint, memory(200, 220, 8e6)];
    const summary = summarizeRun(header, records, ctx);
    expect(summary.tensors).toEqual({ numTensors: 220, numBytes: 220_000, peakStepBytes: 9e6 });
    expect(summary.peakTrainerRssBytes).toBe(700e6);
    expect(summary.hints).toBe(1);
  });

  it('become a series the charts can draw: live tensors and their bytes by step', () => {
    const series = new RunColumns(1000);
    for (const r of [memory(1, 18, 0), memory(50, 60, 0), memory(200, 220, 0)]) series.apply(r);
    const w = series.window(SeriesWindowQuery.parse({ runId: 'r', metrics: ['tensors', 'tensorBytes'], axis: 'step', buckets: 100 }));
    expect(w.lines[0]!.points).toEqual([1, 18, 50, 60, 200, 220]);
    expect(w.lines[1]!.points).toEqual([1, 18_000, 50, 60_000, 200, 220_000]);
  });
});
