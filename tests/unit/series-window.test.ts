import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../host/run-store.js';
import { m4Downsample } from '../../host/series/m4-downsample.js';
import { RunColumns } from '../../host/series/run-columns.js';
import { SeriesWindowQuery } from '../../shared/series-window.js';
import type { RunRecord } from '../../shared/run-record.js';
import { writeLongRun } from '../../bench/long-run-log.js';
import { tempDir } from '../support/studio-fixture.js';

const ysOf = (points: number[]) => points.filter((_, i) => i % 2 === 1);
const xsOf = (points: number[]) => points.filter((_, i) => i % 2 === 0);

function step(step: number, loss: number, samplesSeen = step * 10): RunRecord {
  return { type: 'step', time: 1000 + step * 100, step, epoch: 1, epochProgress: 0, loss, lr: 0.01, batchSize: 10, samplesPerSec: 1, samplesSeen, etaSec: 0 };
}

function query(patch: Partial<SeriesWindowQuery> = {}) {
  return SeriesWindowQuery.parse({ runId: 'r', metrics: ['loss'], axis: 'step', buckets: 100, ...patch });
}

describe('M4 downsampling', () => {
  it('keeps every column’s extremes in x order, so a one-point spike survives', () => {
    const n = 200_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i);
    const ys = Float64Array.from({ length: n }, (_, i) => (i === 123_457 ? 50 : Math.sin(i / 1000)));
    const { points, reduced } = m4Downsample(xs, ys, 0, n, { from: 0, to: n - 1, buckets: 500 });
    expect(reduced).toBe(true);
    expect(points.length / 2).toBeLessThanOrEqual(4 * 500);
    expect(Math.max(...ysOf(points))).toBe(50);
    expect(Math.min(...ysOf(points))).toBeCloseTo(-1, 5);
    const x = xsOf(points);
    expect(x).toEqual([...x].sort((a, b) => a - b));
  });

  it('returns the raw points when they fit, skipping missing values', () => {
    const { points, reduced } = m4Downsample(Float64Array.of(0, 1, 2, 3, 4), [0, 2, NaN, 6, 8], 0, 5, { from: 0, to: 4, buckets: 100 });
    expect(reduced).toBe(false);
    expect(points).toEqual([0, 0, 1, 2, 3, 6, 4, 8]);
  });
});

describe('a run’s series', () => {
  it('answers windows on every axis, with the spike at every zoom level', () => {
    const series = new RunColumns(1000);
    for (let s = 1; s <= 10_000; s++) series.apply(step(s, s === 7777 ? 99 : 1 + (s % 7) / 10));
    for (const [from, to] of [[0, 10_000], [5000, 9000], [7000, 8000], [7700, 7800], [7770, 7790]] as const) {
      const w = series.window(query({ from, to, buckets: 50 }));
      expect(Math.max(...ysOf(w.lines[0]!.points)), `window ${from}–${to}`).toBe(99);
    }
    const narrow = series.window(query({ from: 7770, to: 7790 }));
    expect(narrow.downsampled).toBe(false);
    expect(narrow.lines[0]!.rawCount).toBe(21);
    // One neighbour each side so the line reaches the edges.
    expect(xsOf(narrow.lines[0]!.points)).toEqual(Array.from({ length: 23 }, (_, i) => 7769 + i));
    expect(series.window(query({ axis: 'samples', from: 77_700, to: 77_800 })).lines[0]!.points).toContain(99);
    const relative = series.window(query({ axis: 'relative' }));
    expect(relative.extent).toEqual({ min: 0.1, max: 1000 });
    expect(series.window(query({ axis: 'samples', steps: [10, 20_000] })).xOfSteps).toEqual([100, null]);
  });

  it('smooths over every point, not over what is drawn', () => {
    const series = new RunColumns(0);
    for (let s = 1; s <= 1000; s++) series.apply(step(s, s % 2));
    const w = series.window(query({ smoothing: 0.99, from: 900, to: 1000 }));
    const smoothed = ysOf(w.lines[0]!.smoothed!);
    for (const v of smoothed) expect(v).toBeCloseTo(0.5, 1);
  });

  it('drops the superseded tail when a run continues from a checkpoint', () => {
    const series = new RunColumns(0);
    for (let s = 1; s <= 30; s++) series.apply(step(s, 5));
    series.apply({ type: 'resume', time: 9999, fromStep: 20 });
    for (let s = 21; s <= 25; s++) series.apply(step(s, 1, 1000 + s));
    const w = series.window(query());
    expect(w.lines[0]!.rawCount).toBe(25);
    expect(ysOf(w.lines[0]!.points).slice(-5)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('stored runs', () => {
  it('reads a long run once, then from its series cache until the log changes', () => {
    const dataDir = tempDir('series');
    const run = writeLongRun(dataDir, 50_000);
    const first = new RunStore(dataDir);
    const q = query({ buckets: 400 });
    const window = first.seriesWindow(run.runId, false, q);
    expect(Math.max(...ysOf(window.lines[0]!.points))).toBe(run.spikeLoss);
    const cache = first.paths(run.runId).seriesCache;
    expect(existsSync(cache)).toBe(true);
    const cachedAt = statSync(cache).mtimeMs;

    const second = new RunStore(dataDir);
    expect(second.seriesWindow(run.runId, false, q)).toEqual(window);
    expect(second.view(run.runId, false).lastStep?.step).toBe(50_000);
    expect(second.view(run.runId, false).records.some((r) => r.type === 'step')).toBe(false);
    expect(statSync(cache).mtimeMs).toBe(cachedAt);

    // A cache written with another column layout (an older release) is not trusted.
    const bytes = readFileSync(cache);
    writeFileSync(cache, Buffer.from(bytes.toString('latin1').replace('"train.loss"', '"train.lass"'), 'latin1'));
    expect(new RunStore(dataDir).seriesWindow(run.runId, false, q)).toEqual(window);
    expect(readFileSync(cache).includes('"train.loss"')).toBe(true);

    appendFileSync(first.paths(run.runId).log, JSON.stringify({ type: 'resume', time: Date.now(), fromStep: 10 }) + '\n');
    const third = new RunStore(dataDir);
    expect(third.seriesWindow(run.runId, false, q).lines[0]!.rawCount).toBe(10);
  });
});
