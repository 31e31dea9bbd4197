import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../shared/api-client.js';
import { SweepSpec } from '../../shared/sweep.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { smallRun, tempDir } from '../support/studio-fixture.js';
import { connectWebSocket } from '../support/ws-client.js';

/** The sweeps view in Debian's Chromium, over a sweep that finished (through the API) before the page opened. */
describe('the sweeps view in a browser', () => {
  let session: ServeSession;
  let sweepId: string;
  let runIds: string[];

  beforeAll(async () => {
    session = await startServeSession(tempDir('e2e-sweeps'));
    const { port, searchParams } = new URL(session.url);
    const { channel, socket } = await connectWebSocket(Number(port), { authorization: `Bearer ${searchParams.get('token')}` });
    const client = new ApiClient(channel);
    const spec = SweepSpec.parse({ base: smallRun({ epochs: 1, limit: 300 }), mode: 'grid', values: { lr: [0.001, 0.003, 0.01] } });
    sweepId = (await client.api.startSweep({ spec })).sweepId;
    let finished = false;
    for (const deadline = Date.now() + 40_000; !finished && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const sweep = await client.api.getSweep({ sweepId });
      finished = sweep.state === 'done';
      runIds = sweep.trials.map((t) => t.runId!);
    }
    expect(finished).toBe(true);
    socket.close();
  });

  afterAll(() => session?.close());

  it("shows a finished sweep's chart and opens a point's run on click", async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });

    await page.getByTestId('sweeps-button').click();
    const item = page.getByTestId('sweep-item');
    await expect.poll(() => item.getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
    await item.click();
    await expect.poll(() => page.getByTestId('sweep-trial').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['done', 'done', 'done']);
    const chart = page.getByTestId('sweep-chart');
    await expect.poll(() => chart.getAttribute('data-points')).toBe('3');
    await expect.poll(() => chart.getAttribute('data-params')).toBe('lr');
    await page.screenshot({ path: join(SHOTS, 'sweep-chart.png') });

    // The SVG renderer draws each point as a circle symbol; hovering one names its trial.
    const points = chart.locator('svg path[d^="M1 0A1 1 0 1 1"]');
    await expect.poll(() => points.count()).toBe(3);
    const box = (await points.first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('text=/^trial \\d: test accuracy/').count()).toBeGreaterThan(0);
    const trial = Number(/trial (\d)/.exec((await page.locator('text=/^trial \\d: test accuracy/').first().textContent())!)![1]) - 1;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);

    await expect.poll(() => page.getByTestId('sweeps-view').count()).toBe(0);
    const current = page.locator('[data-testid="run-item"][aria-current="true"]');
    await expect.poll(() => current.getAttribute('data-run-id')).toBe(runIds[trial]);
    await expect.poll(() => page.getByTestId('run-status').textContent()).toMatch(/done/);
    await expect.poll(() => current.textContent()).toContain(sweepId);

    // The new-sweep form counts the trials it plans, and names a bad value before anything is sent.
    await page.getByTestId('sweeps-button').click();
    await page.getByTestId('new-sweep-button').click();
    await page.getByTestId('sweep-list-lr').fill('0.001, 0.003, 0.01');
    await page.getByTestId('sweep-list-seed').fill('1, 2');
    await expect.poll(() => page.getByTestId('sweep-trial-count').textContent()).toBe('12 trials');
    await page.getByTestId('sweep-list-lr').fill('0.001, 0');
    await page.getByTestId('sweep-start-button').click();
    await expect.poll(() => page.getByTestId('sweep-error-list-lr').textContent()).toBe('value 2: must be a finite number > 0 and ≤ 10');
    await page.screenshot({ path: join(SHOTS, 'sweep-form.png') });
    await page.getByTestId('sweep-mode-random').check();
    await page.getByTestId('sweep-field-count').fill('5');
    await expect.poll(() => page.getByTestId('sweep-trial-count').textContent()).toBe('5 trials');
    await page.getByTestId('sweep-field-count').fill('500');
    await page.getByTestId('sweep-start-button').click();
    await expect.poll(() => page.getByTestId('sweep-error-count').textContent()).toBe('count: must be an integer from 1 to 200');
    expect(await page.getByTestId('sweep-item').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
