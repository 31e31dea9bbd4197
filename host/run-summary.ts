import type { RunLogHeader, RunRecord, RunStatus, RunSummary } from '../shared/run-record.js';

export interface SummaryContext {
  /** A live process holds this run's lock right now. */
  active: boolean;
  resumable: boolean;
  tornTail: boolean;
  updatedAt: number;
}

export const INTERRUPTED_REASON = 'interrupted: the app or CLI running it exited before the run ended';

/** Folds a run's records into the row the run list shows. */
export function summarizeRun(header: RunLogHeader, records: readonly RunRecord[], ctx: SummaryContext): RunSummary {
  const summary: RunSummary = {
    id: header.runId,
    createdAt: header.createdAt,
    updatedAt: ctx.updatedAt,
    config: header.config,
    status: 'running',
    step: 0,
    epoch: 0,
    resumable: ctx.resumable,
    tornTail: ctx.tornTail,
  };
  let status: RunStatus | undefined;
  for (const r of records) {
    switch (r.type) {
      case 'status':
        status = r.status;
        summary.reason = r.reason;
        break;
      case 'ready':
        summary.backend = r.backend.name;
        break;
      case 'step':
        summary.step = r.step;
        summary.epoch = r.epoch;
        break;
      case 'epoch':
        summary.valLoss = r.valLoss;
        summary.valAccuracy = r.valAccuracy;
        break;
      case 'done':
        summary.testLoss = r.testLoss;
        summary.testAccuracy = r.testAccuracy;
        break;
    }
  }
  const live = status === undefined || status === 'running' || status === 'paused';
  if (live && !ctx.active) {
    summary.status = 'failed';
    summary.reason = INTERRUPTED_REASON;
  } else {
    summary.status = status ?? 'running';
  }
  return summary;
}
