import { describe, expect, it } from 'vitest';
import { DEFAULT_LEAK_RULE, LeakWatch, type LeakVerdict } from '../../trainer/leak-watch.js';

const BYTES_PER_TENSOR = 400;

/** Feeds steps 1..n with the count `at(step)`; returns the first verdict and the step it came at. */
function watch(n: number, at: (step: number) => number): { verdict: LeakVerdict; step: number } | null {
  const w = new LeakWatch();
  for (let step = 1; step <= n; step++) {
    const numTensors = at(step);
    const verdict = w.observe({ step, numTensors, numBytes: numTensors * BYTES_PER_TENSOR });
    if (verdict) return { verdict, step };
  }
  return null;
}

describe('LeakWatch', () => {
  it('fires on one leaked tensor per step once three windows have grown after warm-up, with the growth per step', () => {
    const fired = watch(10_000, (step) => 30 + step);
    const { warmUpSteps, windowSteps, windows } = DEFAULT_LEAK_RULE;
    const first = 1 + warmUpSteps;
    expect(fired).not.toBeNull();
    expect(fired!.step).toBe(first + windows * windowSteps);
    expect(fired!.verdict).toEqual({
      fromStep: first,
      toStep: first + windows * windowSteps,
      tensorsPerStep: 1,
      bytesPerStep: BYTES_PER_TENSOR,
      numTensors: 30 + fired!.step,
      numBytes: (30 + fired!.step) * BYTES_PER_TENSOR,
    });
  });

  it('fires on a slow leak of one tensor every five steps', () => {
    expect(watch(10_000, (step) => 30 + Math.floor(step / 5))?.verdict.tensorsPerStep).toBeCloseTo(0.2, 1);
  });

  it('fires only once', () => {
    const w = new LeakWatch();
    const verdicts = Array.from({ length: 2000 }, (_, i) => w.observe({ step: i + 1, numTensors: i, numBytes: i })).filter(Boolean);
    expect(verdicts).toHaveLength(1);
  });

  it('stays quiet for a steady loop, including a jump in the first steps while optimizer state appears', () => {
    expect(watch(100_000, (step) => (step < 3 ? 10 * step : 30))).toBeNull();
  });

  it('stays quiet for a one-off allocation kept from an epoch boundary on', () => {
    expect(watch(10_000, (step) => (step >= 300 ? 530 : 30))).toBeNull();
  });

  it('stays quiet when validation allocates at every epoch end and frees it again', () => {
    expect(watch(10_000, (step) => (step % 100 === 0 ? 2030 : 30))).toBeNull();
  });

  it('stays quiet for a count that wobbles up and down without trend', () => {
    expect(watch(10_000, (step) => 30 + (step % 7) * 3)).toBeNull();
  });

  it('restarts its streak when growth pauses for a window', () => {
    // Grows for two windows, flat for one, grows again: fires three windows after the pause.
    const grows = (step: number) => (step < 121 ? step : step < 171 ? 121 : step - 50);
    const fired = watch(10_000, grows);
    expect(fired?.verdict.fromStep).toBe(171);
  });
});
