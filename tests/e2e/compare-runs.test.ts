import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** Two real runs, trained by the CLI, compared in Debian's Chromium. */
describe('comparing runs', () => {
  let session: ServeSession;

  beforeAll(async () => {
    const dataDir = tempDir('e2e-compare');
    for (const lr of ['0.002', '0.02']) {
      const r = await runCli(['train', '--data-dir', dataDir, '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '2', '--limit', '600', '--lr', lr, '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    session = await startServeSession(dataDir);
  }, 120_000);

  afterAll(() => session?.close());

  it('overlays the runs’ curves and highlights the setting that differs', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { acceptDownloads: true });
    await expect.poll(() => page.getByTestId('compare-toggle').count(), { timeout: 20_000 }).toBe(2);
    await page.getByTestId('compare-toggle').nth(0).check();
    await expect.poll(() => page.getByTestId('compare-button').isDisabled()).toBe(true);
    await page.getByTestId('compare-toggle').nth(1).check();
    await page.getByTestId('compare-button').click();

    // Each run draws its train and validation loss: four lines.
    const loss = page.getByTestId('compare-loss-chart');
    await expect.poll(() => loss.getAttribute('data-lines'), { timeout: 20_000 }).toBe('4');
    await expect.poll(() => page.getByTestId('compare-accuracy-chart').getAttribute('data-lines')).toBe('4');

    const row = (label: string) => page.locator(`[data-testid="compare-config-row"][data-label="${label}"]`);
    await expect.poll(() => row('lr').getAttribute('data-differs')).toBe('true');
    expect((await row('lr').locator('td').allTextContents()).sort()).toEqual(['0.002', '0.02']);
    for (const same of ['model', 'optimizer', 'batch size', 'epochs', 'seed', 'limit']) {
      expect(await row(same).getAttribute('data-differs'), same).toBe('false');
    }
    expect(await page.getByTestId('compare-results').locator('[data-label="test accuracy"] td').allTextContents()).toEqual([
      expect.stringMatching(/^\d+\.\d\d %$/),
      expect.stringMatching(/^\d+\.\d\d %$/),
    ]);
    await page.screenshot({ path: join(SHOTS, 'compare-runs.png') });

    // Each chart saves itself as a picture.
    const saved = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), loss.getByTestId(button).click()]);
      return { name: download.suggestedFilename(), bytes: readFileSync((await download.path())!) };
    };
    const svg = await saved('export-svg');
    expect(svg.name).toBe('compare-loss-chart.svg');
    expect(svg.bytes.toString('utf8')).toMatch(/^<svg[\s\S]*train loss[\s\S]*<\/svg>$/);
    const png = await saved('export-png');
    expect(png.name).toBe('compare-loss-chart.png');
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(errors).toEqual([]);
  });
});
