import type { RunStatus, RunSummary } from '../../shared/run-record.js';
import { COMPRESSION_VERBS } from '../../shared/compression-job.js';
import { describeDataset } from '../../shared/run-config.js';

export const STATUS_ICON: Record<RunStatus, string> = {
  running: '▶',
  paused: '⏸',
  done: '✓',
  stopped: '■',
  failed: '✗',
};

export function runTitle(run: RunSummary): string {
  const title = `${describeDataset(run.config.dataset).replace(/^csv:.*\//, 'csv:')} · ${run.config.model}`;
  const job = run.config.compression;
  // The list cuts long titles short: what kind of run it is comes first.
  return job ? `${COMPRESSION_VERBS[job.kind]} · ${title}` : run.config.distillation ? `distilled · ${title}` : title;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
