import type { RunStatus, RunSummary } from '../../shared/run-record.js';
import { describeDataset } from '../../shared/run-config.js';

export const STATUS_ICON: Record<RunStatus, string> = {
  running: '▶',
  paused: '⏸',
  done: '✓',
  stopped: '■',
  failed: '✗',
};

export function runTitle(run: RunSummary): string {
  return `${describeDataset(run.config.dataset).replace(/^csv:.*\//, 'csv:')} · ${run.config.model}`;
}

export function finalMetric(run: RunSummary): string {
  if (run.status === 'running') return 'training…';
  if (run.testAccuracy !== undefined) return `${(run.testAccuracy * 100).toFixed(1)} % test acc`;
  if (run.testLoss !== undefined) return `MSE ${run.testLoss.toPrecision(3)}`;
  if (run.valAccuracy !== undefined) return `${(run.valAccuracy * 100).toFixed(1)} % val acc`;
  return `step ${run.step}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s % 60}s`;
}
