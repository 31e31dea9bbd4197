import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongRun, type LongRun } from '../../bench/long-run-log.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

const GRID = { left: 56, right: 16 };

/** A stored run of a million steps with one spike, opened in Debian's Chromium against a real `serve`. */
describe('a million-point loss curve', () => {
  let session: ServeSession;
  let run: LongRun;

  beforeAll(async () => {
    const dataDir = tempDir('e2e-long');
    run = writeLongRun(dataDir, 1_000_000);
    session = await startServeSession(dataDir);
  }, 120_000);

  afterAll(() => session?.close());

  /** The chart's visible window once its detail has arrived. */
  async function settled(chart: Locator): Promise<{ window: string; max: number; rawCount: number; downsampled: boolean }> {
    await expect.poll(() => chart.getAttribute('data-loading'), { timeout: 20_000 }).toBe('false');
    return {
      window: (await chart.getAttribute('data-window')) ?? '',
      max: Number(await chart.getAttribute('data-visible-max')),
      rawCount: Number(await chart.getAttribute('data-raw-count')),
      downsampled: (await chart.getAttribute('data-downsampled')) === 'true',
    };
  }

  it('shows the one-step spike zoomed out and at every zoom level down to the raw points', async () => {
    const { page, errors } = await openPage(session.browser, session.url);
    await page.getByTestId('run-item').first().click();
    const chart = page.getByTestId('loss-chart');
    await expect.poll(() => chart.getAttribute('data-visible-max'), { timeout: 60_000 }).toBe(String(run.spikeLoss));
    const overview = await settled(chart);
    expect(overview).toMatchObject({ window: 'all', rawCount: run.steps, downsampled: true });
    // Zoomed out, the chart holds a few points per pixel column, not a million.
    expect(Number(await chart.getAttribute('data-points'))).toBeLessThan(8000);
    await page.screenshot({ path: join(SHOTS, 'long-run-overview.png') });

    // Zoom with the mouse wheel over the spike, as a user would, until the raw points show.
    const box = (await chart.locator('canvas').first().boundingBox())!;
    const plotWidth = box.width - GRID.left - GRID.right;
    // Re-aimed at each level: a fraction of a pixel off at one zoom is many pixels at the next.
    const aimAt = (from: number, to: number) => page.mouse.move(box.x + GRID.left + (plotWidth * (run.spikeStep - from)) / (to - from), box.y + box.height / 2);
    let [from, to] = [1, run.steps];
    const levels: { window: string; rawCount: number; downsampled: boolean }[] = [];
    for (let i = 0; i < 100 && (levels.at(-1)?.downsampled ?? true); i++) {
      await aimAt(from, to);
      await page.mouse.wheel(0, -600);
      await expect.poll(() => chart.getAttribute('data-window'), { timeout: 10_000 }).not.toBe(levels.at(-1)?.window ?? 'all');
      const level = await settled(chart);
      [from, to] = level.window.split(':').map(Number) as [number, number];
      expect(from <= run.spikeStep && run.spikeStep <= to, `spike step inside ${level.window}`).toBe(true);
      expect(level.max, `spike drawn in window ${level.window}`).toBe(run.spikeLoss);
      levels.push(level);
    }
    expect(levels.length).toBeGreaterThan(3);
    expect(levels.at(-1)!.downsampled).toBe(false);
    expect(levels.at(-1)!.rawCount).toBeLessThan(4 * 1000);

    // The run's other charts follow the zoom once the gesture settles, and show the hovered step.
    await expect.poll(() => page.getByTestId('accuracy-chart').getAttribute('data-window'), { timeout: 10_000 }).toBe(levels.at(-1)!.window);
    await aimAt(from, to);
    await expect.poll(() => page.getByTestId('accuracy-chart').innerText(), { timeout: 10_000 }).toMatch(/train accuracy\s*\d+\.\d %/);
    await page.screenshot({ path: join(SHOTS, 'long-run-zoomed.png') });
    expect(errors).toEqual([]);
  });
});
