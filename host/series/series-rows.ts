import type { RunLogHeader, RunRecord } from '../../shared/run-record.js';
import { RUN_SERIES_FORMAT, RUN_SERIES_VERSION, type RunSeries } from '../../shared/run-series.js';

/**
 * Folds a run's log into its exported series, as the run page's timeline does: a `resume`
 * record supersedes every row after the checkpoint's step, so a resumed run reads as one
 * continuous run without the abandoned tail.
 */
export function foldRunSeries(header: RunLogHeader, records: readonly RunRecord[]): RunSeries {
  const first = records.find((r) => 'time' in r);
  const startTime = first?.time ?? header.createdAt;
  const at = (step: number, time: number) => ({ step, time, relativeTimeSec: (time - startTime) / 1000 });
  const series: RunSeries = {
    format: RUN_SERIES_FORMAT,
    version: RUN_SERIES_VERSION,
    runId: header.runId,
    createdAt: header.createdAt,
    startTime,
    config: header.config,
    steps: [],
    epochs: [],
    hardware: [],
    test: null,
  };
  for (const r of records) {
    switch (r.type) {
      case 'step':
        series.steps.push({
          ...at(r.step, r.time),
          epoch: r.epoch,
          samplesSeen: r.samplesSeen,
          loss: r.loss,
          accuracy: r.accuracy ?? null,
          lr: r.lr,
          batchSize: r.batchSize,
          samplesPerSec: r.samplesPerSec,
        });
        break;
      case 'epoch':
        series.epochs.push({
          ...at(r.step, r.time),
          epoch: r.epoch,
          trainLoss: r.trainLoss,
          trainAccuracy: r.trainAccuracy ?? null,
          valLoss: r.valLoss,
          valAccuracy: r.valAccuracy ?? null,
        });
        break;
      case 'hardware':
        series.hardware.push({
          ...at(r.step, r.time),
          cpuPercent: r.cpuPercent,
          memoryUsedBytes: r.memoryUsedBytes,
          trainerCpuPercent: r.trainerCpuPercent,
          trainerRssBytes: r.trainerRssBytes,
          gpus: r.gpus,
        });
        break;
      case 'done':
        series.test = { ...at(r.step, r.time), testLoss: r.testLoss, testAccuracy: r.testAccuracy ?? null };
        break;
      case 'resume':
        for (const rows of [series.steps, series.epochs, series.hardware]) {
          while (rows.length > 0 && rows[rows.length - 1]!.step > r.fromStep) rows.pop();
        }
        series.test = null;
        break;
    }
  }
  return series;
}
