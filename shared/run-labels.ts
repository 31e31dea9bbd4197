import { describeCompression } from './compression-job.js';
import { describeModel } from './model-spec.js';
import { describeDataset, type RunConfig } from './run-config.js';
import type { RunSummary } from './run-record.js';

/** How the CLI's `runs` table and the app's run list name a run's outcome, so they agree. */
export function finalMetric(run: RunSummary): string {
  if (run.status === 'running') return 'training…';
  if (run.testAccuracy !== undefined) return `test acc ${(run.testAccuracy * 100).toFixed(2)} %`;
  if (run.testLoss !== undefined) return `test MSE ${run.testLoss.toPrecision(4)}`;
  if (run.valAccuracy !== undefined) return `val acc ${(run.valAccuracy * 100).toFixed(2)} %`;
  if (run.valLoss !== undefined) return `val loss ${run.valLoss.toPrecision(4)}`;
  return `step ${run.step}`;
}

/** `1h02m`, `3m05s`, `42s`: short enough for a progress line; `–` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A run's settings as label/value rows, in the order the CLI and the run page show them. */
export function configEntries(c: RunConfig): [label: string, value: string][] {
  return [
    ['dataset', describeDataset(c.dataset)],
    ['model', c.distillation ? `${describeModel(c)}, distilled from run ${c.distillation.teacherRunId} (temperature ${c.distillation.temperature}, alpha ${c.distillation.alpha})` : describeModel(c)],
    ['optimizer', c.optimizer],
    ['lr', String(c.lr)],
    ['batch size', String(c.batchSize)],
    ['epochs', String(c.epochs)],
    ['seed', String(c.seed)],
    ['limit', c.limit === undefined ? 'all' : String(c.limit)],
    ['lr schedule', describeSchedule(c)],
    ['early stopping', c.earlyStopping ? `patience ${c.earlyStopping.patience}, min delta ${c.earlyStopping.minDelta}` : 'off'],
    ...(c.compression ? [['compression', describeCompression(c.compression)] as [string, string]] : []),
    ['peers', c.distribution ? `${c.distribution.parallel}-parallel over ${c.distribution.peers.length}: ${c.distribution.peers.join(', ')}` : 'one trainer'],
  ];
}

/** `cosine to 0.0001, warm-up 500 steps`, `×0.5 every 2 epochs`, `constant`. */
export function describeSchedule(c: Pick<RunConfig, 'schedule' | 'warmupSteps'>): string {
  const s = c.schedule;
  const shape = !s ? 'constant' : s.kind === 'step' ? `×${s.gamma} every ${s.everyEpochs} epoch${s.everyEpochs === 1 ? '' : 's'}` : `cosine to ${s.minLr}`;
  return c.warmupSteps ? `${shape}, warm-up ${c.warmupSteps} steps` : shape;
}

/** `512 B`, `3.4 KiB`, `118.2 MiB`, `1.50 GiB`: binary units, as `free` and the System panel count. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  if (v < 1024) return `${sign}${Math.round(v)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${sign}${v.toFixed(i >= 2 ? 2 : 1)} ${units[i]}`;
}
