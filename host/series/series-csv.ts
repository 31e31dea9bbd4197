import type { SeriesKind } from '../../shared/run-export.js';
import type { RunSeries } from '../../shared/run-series.js';

type Cell = number | string | null;

/** One series of a run as CSV: a header row, then one row per point; an empty cell is a value the run did not have. */
export function seriesCsv(series: RunSeries, kind: SeriesKind): string {
  const [header, rows] = table(series, kind);
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

function table(series: RunSeries, kind: SeriesKind): [string[], Cell[][]] {
  switch (kind) {
    case 'step':
      return [
        ['step', 'epoch', 'time', 'relativeTimeSec', 'samplesSeen', 'loss', 'accuracy', 'lr', 'batchSize', 'samplesPerSec'],
        series.steps.map((r) => [r.step, r.epoch, r.time, r.relativeTimeSec, r.samplesSeen, r.loss, r.accuracy, r.lr, r.batchSize, r.samplesPerSec]),
      ];
    case 'epoch':
      return [
        ['epoch', 'step', 'time', 'relativeTimeSec', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy'],
        series.epochs.map((r) => [r.epoch, r.step, r.time, r.relativeTimeSec, r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy]),
      ];
    case 'hardware': {
      // One group of columns per GPU index any sample saw, so every row has the same columns.
      const gpuIndexes = [...new Set(series.hardware.flatMap((r) => r.gpus.map((g) => g.index)))].sort((a, b) => a - b);
      const gpuFields = ['utilizationPercent', 'memoryUsedMiB', 'memoryTotalMiB', 'powerDrawW'] as const;
      return [
        [
          'step', 'time', 'relativeTimeSec', 'cpuPercent', 'memoryUsedBytes', 'trainerCpuPercent', 'trainerRssBytes',
          ...gpuIndexes.flatMap((i) => gpuFields.map((f) => `gpu${i}.${f}`)),
        ],
        series.hardware.map((r) => [
          r.step, r.time, r.relativeTimeSec, r.cpuPercent, r.memoryUsedBytes, r.trainerCpuPercent, r.trainerRssBytes,
          ...gpuIndexes.flatMap((i) => {
            const gpu = r.gpus.find((g) => g.index === i);
            return gpuFields.map((f) => gpu?.[f] ?? null);
          }),
        ]),
      ];
    }
  }
}

function cell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
