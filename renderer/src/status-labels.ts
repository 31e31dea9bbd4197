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

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
