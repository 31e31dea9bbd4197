import { describe, expect, it } from 'vitest';
import { pairedRatios } from '../../bench/paired-ratios.js';
import { StepTally } from '../../bench/step-tally.js';
import { StepWindow } from '../../bench/step-window.js';

describe('StepWindow', () => {
  it('starts at the first step after a resume, leaving that step’s own time out, and ends windowSamples later', () => {
    const cut = new StepWindow(128);
    // Steps of 64 samples: the first (slow, just resumed) ends at t=500 ms, then one every 100 ms.
    expect(cut.observe(704, 500)).toBeNull();
    expect(cut.observe(768, 600)).toBeNull();
    expect(cut.observe(832, 700)).toEqual({ samples: 128, seconds: 0.2, medianStepMs: 100, crossesEpochEnd: false });
  });

  it('counts the samples actually trained when a step overshoots the window', () => {
    const cut = new StepWindow(100);
    cut.observe(0, 0);
    expect(cut.observe(64, 50)).toBeNull();
    expect(cut.observe(128, 100)).toEqual({ samples: 128, seconds: 0.1, medianStepMs: 50, crossesEpochEnd: false });
  });

  it('gives the median step time, which one slow step does not move', () => {
    const cut = new StepWindow(256);
    const times = [0, 20, 40, 140, 160];
    const windows = times.map((t, i) => cut.observe(i * 64, t));
    expect(windows.at(-1)).toEqual({ samples: 256, seconds: 0.16, medianStepMs: 20, crossesEpochEnd: false });
  });
});

describe('a window across an epoch end', () => {
  it('says so, since it holds a validation pass that is not training time', () => {
    const cut = new StepWindow(128);
    cut.observe(832, 0, 1);
    cut.observe(896, 10, 1);
    expect(cut.observe(960, 400, 2)).toMatchObject({ samples: 128, crossesEpochEnd: true });
  });
});

describe('StepTally', () => {
  it('accepts steps 1, 2, 3… with nothing missing', () => {
    const tally = new StepTally();
    for (const step of [1, 2, 3, 4]) tally.add(step);
    expect(tally.report()).toEqual({ received: 4, first: 1, last: 4, contiguous: true, gaps: [] });
  });

  it('names each gap, repeat and late start', () => {
    const tally = new StepTally();
    for (const step of [2, 3, 5, 5, 6]) tally.add(step);
    expect(tally.report()).toEqual({ received: 5, first: 2, last: 6, contiguous: false, gaps: ['3 → 5', '5 → 5'] });
  });
});

describe('pairedRatios', () => {
  const window = (samplesPerSec: number) => ({ samples: 3200, seconds: 3200 / samplesPerSec });

  it('gives each pair’s ratio and the median with min–max, against the bar', () => {
    const summary = pairedRatios(
      [
        { baseline: window(1000), measured: window(995) },
        { baseline: window(1000), measured: window(1020) },
        { baseline: window(2000), measured: window(1900) },
      ],
      0.99,
    );
    expect(summary.pairs.map((p) => p.ratio)).toEqual([expect.closeTo(0.995), expect.closeTo(1.02), expect.closeTo(0.95)]);
    expect(summary.ratio).toEqual({ median: expect.closeTo(0.995), min: expect.closeTo(0.95), max: expect.closeTo(1.02) });
    expect(summary.met).toBe(true);
  });

  it('misses the bar when the median pair is below it, whatever the best pair', () => {
    const summary = pairedRatios(
      [
        { baseline: window(1000), measured: window(980) },
        { baseline: window(1000), measured: window(1100) },
        { baseline: window(1000), measured: window(985) },
      ],
      0.99,
    );
    expect(summary.ratio.median).toBeCloseTo(0.985);
    expect(summary.met).toBe(false);
  });
});
