import { describe, expect, it, vi } from 'vitest';
import { bringToFront, claimSingleInstance, runArchivesIn, type SingleInstanceApp } from '../../electron/single-instance.js';

// Electron cannot be launched on these machines: a stand-in `app` holds the one lock two launches compete for.
function launches() {
  let held = false;
  const make = () => {
    const listeners: ((e: unknown, argv: string[], cwd: string) => void)[] = [];
    const app = {
      quit: vi.fn(),
      requestSingleInstanceLock: () => (held ? false : (held = true)),
      on: (_event: 'second-instance', l: (e: unknown, argv: string[], cwd: string) => void) => listeners.push(l),
      secondLaunch: (argv: string[], cwd: string) => listeners.forEach((l) => l({}, argv, cwd)),
    } satisfies SingleInstanceApp & { secondLaunch: unknown };
    return app;
  };
  return { first: make(), second: make() };
}

describe('one app per user', () => {
  it('quits a second launch and hands its command line to the first', () => {
    const { first, second } = launches();
    const handed = vi.fn();
    expect(claimSingleInstance(first, handed)).toBe(true);
    expect(claimSingleInstance(second, () => {})).toBe(false);
    expect(second.quit).toHaveBeenCalledOnce();
    expect(first.quit).not.toHaveBeenCalled();
    first.secondLaunch(['/opt/HPC Studio/hpc-studio', 'runs/exported.hpcrun'], '/home/ada');
    expect(handed).toHaveBeenCalledWith(['/opt/HPC Studio/hpc-studio', 'runs/exported.hpcrun'], '/home/ada');
  });

  it('finds the run archives on a command line, as absolute paths', () => {
    expect(runArchivesIn(['/opt/HPC Studio/hpc-studio', '--no-sandbox', 'a.hpcrun', '/tmp/B.HPCRUN', 'notes.txt', '--flag=x.hpcrun'], '/home/ada')).toEqual([
      '/home/ada/a.hpcrun',
      '/tmp/B.HPCRUN',
    ]);
  });

  it('brings a minimised window back to the front', () => {
    const calls: string[] = [];
    const win = { isMinimized: () => true, restore: () => calls.push('restore'), show: () => calls.push('show'), focus: () => calls.push('focus') };
    bringToFront(win);
    expect(calls).toEqual(['restore', 'show', 'focus']);
  });
});
