import { describe, expect, it } from 'vitest';
import type { RunLogHeader, RunRecord } from '../../shared/run-record.js';
import { RunSeries } from '../../shared/run-series.js';
import { seriesCsv } from '../../host/series/series-csv.js';
import { foldRunSeries } from '../../host/series/series-rows.js';
import { scalarEvents } from '../../host/tfevents/run-tfevents.js';

const header: RunLogHeader = {
  format: 'hpc-studio/run-log',
  version: 1,
  runId: 'run-20260101-000000-abcd',
  createdAt: 1000,
  config: { dataset: { kind: 'fashion-mnist', dir: '/d' }, model: 'mlp', epochs: 2, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 1 },
};

const step = (n: number, time = 2000 + n * 100): RunRecord => ({
  type: 'step', time, step: n, epoch: n <= 5 ? 1 : 2, epochProgress: 0.1, loss: 1 / n, accuracy: n / 20, lr: 0.001, batchSize: 32,
  samplesPerSec: 100, samplesSeen: 32 * n, etaSec: 1,
});
const hardware = (n: number, time: number): RunRecord => ({
  type: 'hardware', time, step: n, cpuPercent: 50, memoryUsedBytes: 1e9, trainerCpuPercent: 99, trainerRssBytes: 2e8,
  gpus: [{ index: 0, utilizationPercent: 80, memoryUsedMiB: 1000, memoryTotalMiB: 8000, powerDrawW: null }],
});

/** Eight steps, a crash, a resume from the checkpoint at step 5, then steps 6–10 again. */
function resumedRun(): RunRecord[] {
  const records: RunRecord[] = [];
  for (let i = 1; i <= 8; i++) records.push(step(i), hardware(i, 2050 + i * 100));
  records.push({ type: 'epoch', time: 2550, step: 5, epoch: 1, trainLoss: 0.5, trainAccuracy: 0.6, valLoss: 0.4, valAccuracy: 0.7 });
  records.push({ type: 'status', time: 2900, status: 'failed', reason: 'trainer killed' });
  records.push({ type: 'resume', time: 9000, fromStep: 5 });
  for (let i = 6; i <= 10; i++) records.push(step(i, 9000 + i * 100));
  records.push({ type: 'epoch', time: 10_000, step: 10, epoch: 2, trainLoss: 0.3, valLoss: 0.35, valAccuracy: 0.8 });
  records.push({ type: 'done', time: 10_100, step: 10, testLoss: 0.33, testAccuracy: 0.81 });
  return records;
}

describe('exported series', () => {
  it('keeps one row per surviving step after a resume, as the charts do', () => {
    const series = foldRunSeries(header, resumedRun());
    expect(RunSeries.parse(series)).toEqual(series);
    expect(series.steps.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(series.steps.find((r) => r.step === 7)!.time).toBe(9700);
    expect(series.hardware.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(series.epochs.map((r) => [r.epoch, r.valLoss, r.trainAccuracy])).toEqual([[1, 0.4, 0.6], [2, 0.35, null]]);
    expect(series.test).toMatchObject({ step: 10, testLoss: 0.33, testAccuracy: 0.81 });
    expect(series.steps[0]).toMatchObject({ relativeTimeSec: 0, samplesSeen: 32, loss: 1, accuracy: 0.05, lr: 0.001, batchSize: 32 });
    expect(series.steps[1]!.relativeTimeSec).toBeCloseTo(0.1);
  });

  it('writes CSV with a header and one row per step, epoch or hardware sample', () => {
    const series = foldRunSeries(header, resumedRun());
    const steps = seriesCsv(series, 'step').trimEnd().split('\n');
    expect(steps[0]).toBe('step,epoch,time,relativeTimeSec,samplesSeen,loss,accuracy,lr,batchSize,samplesPerSec');
    expect(steps).toHaveLength(11);
    expect(steps[2]).toBe('2,1,2200,0.1,64,0.5,0.1,0.001,32,100');
    expect(seriesCsv(series, 'epoch').trimEnd().split('\n')).toEqual([
      'epoch,step,time,relativeTimeSec,trainLoss,trainAccuracy,valLoss,valAccuracy',
      '1,5,2550,0.45,0.5,0.6,0.4,0.7',
      '2,10,10000,7.9,0.3,,0.35,0.8',
    ]);
    const hw = seriesCsv(series, 'hardware').trimEnd().split('\n');
    expect(hw[0]).toBe(
      'step,time,relativeTimeSec,cpuPercent,memoryUsedBytes,trainerCpuPercent,trainerRssBytes,gpu0.utilizationPercent,gpu0.memoryUsedMiB,gpu0.memoryTotalMiB,gpu0.powerDrawW',
    );
    expect(hw[1]).toBe('1,2150,0.05,50,1000000000,99,200000000,80,1000,8000,');
  });

  it('orders TensorBoard events by step and leaves out values a run does not have', () => {
    const events = scalarEvents(foldRunSeries(header, resumedRun()));
    const steps = events.map((e) => e.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    const tags = new Set(events.flatMap((e) => e.values.map((v) => v.tag)));
    expect([...tags].sort()).toEqual([
      'batch_size', 'hardware/cpu_percent', 'hardware/gpu0/memory_used_mib', 'hardware/gpu0/utilization_percent',
      'hardware/memory_used_bytes', 'hardware/trainer_cpu_percent', 'hardware/trainer_rss_bytes', 'lr', 'samples_per_sec',
      'test/accuracy', 'test/loss', 'train/accuracy', 'train/loss', 'val/accuracy', 'val/loss',
    ]);
  });
});
