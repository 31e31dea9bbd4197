import { describe, expect, it } from 'vitest';
import { TaskbarProgress, type ProgressBarMode } from '../../electron/taskbar-progress.js';
import type { RunRecord } from '../../shared/run-record.js';

// Electron cannot be launched on these machines: a stand-in window records what BrowserWindow.setProgressBar is asked to show.
function window() {
  const calls: [number, ProgressBarMode][] = [];
  return { calls, setProgressBar: (p: number, o?: { mode: ProgressBarMode }) => calls.push([p, o?.mode ?? 'normal']), isDestroyed: () => false };
}

const started = { type: 'started', time: 0, totalSteps: 1000, stepsPerEpoch: 500, elapsedMs: 0, dataset: { kind: 'fashion-mnist', train: 1, validation: 1, test: 1, inputShape: [28, 28, 1], classes: 10 } } as unknown as RunRecord;
const step = (n: number) => ({ type: 'step', time: n, step: n, epoch: 0, epochProgress: 0, loss: 1, lr: 0.001, batchSize: 64, samplesPerSec: 1, samplesSeen: n, etaSec: 1 }) as RunRecord;
const status = (s: string) => ({ type: 'status', time: 0, status: s }) as RunRecord;

describe('the taskbar / dock progress bar', () => {
  it('shows loading, then the fraction of steps done, and clears when the run is done', () => {
    const win = window();
    const bar = new TaskbarProgress(win);
    for (const r of [status('running'), { type: 'progress', time: 0, phase: 'load-data', done: 1, total: 2 } as RunRecord, started, step(250), step(500), step(1000), status('done')]) bar.onRecord(r);
    expect(win.calls).toEqual([
      [0, 'normal'],
      [2, 'indeterminate'],
      [0, 'normal'],
      [0.25, 'normal'],
      [0.5, 'normal'],
      [1, 'normal'],
      [-1, 'none'],
    ]);
  });

  it('calls into the window system only when the bar visibly moves', () => {
    const win = window();
    const bar = new TaskbarProgress(win);
    bar.onRecord({ ...started, totalSteps: 1_000_000 } as RunRecord);
    for (let n = 1; n <= 100_000; n++) bar.onRecord(step(n));
    // A tenth of a million steps moves the bar 100 times (0.1 % each), not 100,000.
    expect(win.calls.length).toBe(1 + 100);
    expect(win.calls.at(-1)).toEqual([0.1, 'normal']);
  });

  it('shows paused while paused, and a failure until the user looks', () => {
    const win = window();
    const bar = new TaskbarProgress(win);
    for (const r of [started, step(300), { type: 'paused', time: 0, step: 300 } as RunRecord]) bar.onRecord(r);
    expect(win.calls.at(-1)).toEqual([0.3, 'paused']);
    bar.onRecord({ type: 'resumed', time: 0, step: 300 } as RunRecord);
    bar.onRecord(step(400));
    bar.onRecord(status('failed'));
    expect(win.calls.at(-1)).toEqual([0.4, 'error']);
    bar.clearFailure();
    expect(win.calls.at(-1)).toEqual([-1, 'none']);
  });

  it('leaves a training run\'s bar alone when the window is focused', () => {
    const win = window();
    const bar = new TaskbarProgress(win);
    bar.onRecord(started);
    bar.onRecord(step(100));
    bar.clearFailure();
    expect(win.calls.at(-1)).toEqual([0.1, 'normal']);
  });

  it('clears when the user stops the run', () => {
    const win = window();
    const bar = new TaskbarProgress(win);
    for (const r of [started, step(100), status('stopped')]) bar.onRecord(r);
    expect(win.calls.at(-1)).toEqual([-1, 'none']);
  });
});
