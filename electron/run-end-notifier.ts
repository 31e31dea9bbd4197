import type { RunRecord } from '../shared/run-record.js';

export interface RunEndNotification {
  runId: string;
  title: string;
  body: string;
  outcome: 'done' | 'failed';
}

export interface RunEndNotifierDeps {
  /** Whether the user is looking at the app now: then the run page says it all and nothing pops up. */
  windowFocused(): boolean;
  notify(notification: RunEndNotification): void;
}

/**
 * A desktop notification when a run finishes or fails while the app's window is not focused.
 * A run the user stopped says nothing: they were there.
 */
export class RunEndNotifier {
  private readonly results = new Map<string, string>();

  constructor(private readonly deps: RunEndNotifierDeps) {}

  onRecord(runId: string, record: RunRecord): void {
    if (record.type === 'done') this.results.set(runId, testResult(record));
    if (record.type === 'error') this.results.set(runId, record.field ? `${record.field}: ${record.message}` : record.message);
    if (record.type !== 'status' || (record.status !== 'done' && record.status !== 'failed')) return;
    const result = this.results.get(runId);
    this.results.delete(runId);
    if (this.deps.windowFocused()) return;
    this.deps.notify(
      record.status === 'done'
        ? { runId, outcome: 'done', title: 'Run finished', body: `${runId}${result ? ` — ${result}` : ''}` }
        : { runId, outcome: 'failed', title: 'Run failed', body: `${runId} — ${result ?? failureReason(record)}` },
    );
  }
}

function testResult(done: Extract<RunRecord, { type: 'done' }>): string {
  return done.testAccuracy !== undefined
    ? `test accuracy ${(done.testAccuracy * 100).toFixed(2)} %`
    : `test loss ${done.testLoss.toPrecision(4)}`;
}

function failureReason(status: Extract<RunRecord, { type: 'status' }>): string {
  if (status.reason) return status.reason;
  if (status.signal) return `the trainer was killed (${status.signal})`;
  if (status.exitCode !== null && status.exitCode !== undefined) return `the trainer exited with code ${status.exitCode}`;
  return 'the trainer stopped unexpectedly';
}
