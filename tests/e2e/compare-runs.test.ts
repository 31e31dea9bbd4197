import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { runCli, startCli } from '../support/cli-process.js';
import { ROOT, tempDir, waitFor } from '../support/studio-fixture.js';

const SHOTS = join(ROOT, 'test-output', 'e2e');

/** Two real runs, trained by the CLI, compared in Debian's Chromium. */
describe('comparing runs', () => {
  let browser: Browser;
  let serve: ReturnType<typeof startCli>;
  let url: string;

  beforeAll(async () => {
    const dataDir = tempDir('e2e-compare');
    for (const lr of ['0.002', '0.02']) {
      const r = await runCli(['train', '--data-dir', dataDir, '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '2', '--limit', '600', '--lr', lr, '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    serve = startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    url = await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m.exec(serve.stdout())?.[0], 20_000);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    await serve?.result;
  });

  it('overlays the runs’ curves and highlights the setting that differs', async () => {
    const page = await browser.newPage({ colorScheme: 'light', viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
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
    expect(errors).toEqual([]);
  });
});
