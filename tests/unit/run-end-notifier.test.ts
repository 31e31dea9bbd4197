import { describe, expect, it } from 'vitest';
import { RunEndNotifier, type RunEndNotification } from '../../electron/run-end-notifier.js';
import type { RunRecord } from '../../shared/run-record.js';

// Electron cannot be launched on these machines: the notifier is handed a stand-in for Notification and the window's focus.
function setup(focused: boolean) {
  const shown: RunEndNotification[] = [];
  const state = { focused };
  const notifier = new RunEndNotifier({ windowFocused: () => state.focused, notify: (n) => shown.push(n) });
  return { notifier, shown, state };
}

const done = { type: 'done', time: 0, step: 900, testLoss: 0.31, testAccuracy: 0.8913 } as RunRecord;
const status = (s: string, extra: object = {}) => ({ type: 'status', time: 0, status: s, ...extra }) as RunRecord;

describe('a desktop notification when a run ends while the user is elsewhere', () => {
  it('says a run finished, with its test accuracy', () => {
    const { notifier, shown } = setup(false);
    notifier.onRecord('run-a', done);
    notifier.onRecord('run-a', status('done'));
    expect(shown).toEqual([{ runId: 'run-a', outcome: 'done', title: 'Run finished', body: 'run-a — test accuracy 89.13 %' }]);
  });

  it('says a run failed, and why', () => {
    const { notifier, shown } = setup(false);
    notifier.onRecord('run-b', status('failed', { signal: 'SIGKILL', exitCode: null }));
    notifier.onRecord('run-c', { type: 'error', time: 0, field: 'dataset.target', message: 'no column "y"' } as RunRecord);
    notifier.onRecord('run-c', status('failed', { exitCode: 2 }));
    expect(shown.map((n) => [n.outcome, n.body])).toEqual([
      ['failed', 'run-b — the trainer was killed (SIGKILL)'],
      ['failed', 'run-c — dataset.target: no column "y"'],
    ]);
  });

  it('stays quiet while the window is focused, and for a run the user stopped', () => {
    const { notifier, shown, state } = setup(true);
    notifier.onRecord('run-a', done);
    notifier.onRecord('run-a', status('done'));
    state.focused = false;
    notifier.onRecord('run-b', status('stopped'));
    notifier.onRecord('run-b', status('paused'));
    expect(shown).toEqual([]);
  });

  it('does not carry one run\'s result into the next run\'s notification', () => {
    const { notifier, shown } = setup(false);
    notifier.onRecord('run-a', done);
    notifier.onRecord('run-a', status('done'));
    notifier.onRecord('run-a', status('done'));
    expect(shown.map((n) => n.body)).toEqual(['run-a — test accuracy 89.13 %', 'run-a']);
  });
});
