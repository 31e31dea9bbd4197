import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { jsonLines, runCli, startCli } from '../support/cli-process.js';
import { ROOT, tempDir, waitFor } from '../support/studio-fixture.js';

const SHOTS = join(ROOT, 'test-output', 'e2e');

/** Export ▾ and Import run… in Debian's Chromium against a real `serve` process. */
describe('exporting and importing a run in the browser', () => {
  let browser: Browser;
  let serve: ReturnType<typeof startCli>;
  let url: string;
  let runId: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dataDir = tempDir('e2e-transfer');
    const trained = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '600', '--json', '--data-dir', dataDir]);
    runId = jsonLines(trained.stdout).at(-1)!.runId as string;
    serve = startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    url = await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m.exec(serve.stdout())?.[0], 20_000);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    await serve?.result;
  });

  it('downloads CSV and an archive, then imports the archive back after the run is deleted', async () => {
    const page = await browser.newPage({ colorScheme: 'light', viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`).click();

    await page.getByTestId('export-button').click();
    await page.screenshot({ path: join(SHOTS, 'export-menu.png') });
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toBe(`${runId}-step.csv`);
    expect(readFileSync((await csv.path())!, 'utf8')).toMatch(/^step,epoch,time,relativeTimeSec,samplesSeen,loss,accuracy,lr,batchSize,samplesPerSec\n1,1,/);

    await page.getByTestId('export-button').click();
    const [archive] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-archive').click()]);
    expect(archive.suggestedFilename()).toBe(`${runId}.hpcrun`);
    const archivePath = join(tempDir('e2e-download'), archive.suggestedFilename());
    await archive.saveAs(archivePath);
    expect(gunzipSync(readFileSync(archivePath)).subarray(0, 7).toString()).toBe('HPCSRUN');

    await page.getByTestId('import-input').setInputFiles(archivePath);
    await expect.poll(() => page.getByTestId('import-error').textContent()).toContain(`run ${runId} already exists here`);

    await page.getByTestId('delete-button').click();
    await page.getByTestId('confirm-button').click();
    await expect.poll(() => page.locator(`[data-run-id="${runId}"]`).count()).toBe(0);

    await page.getByTestId('import-input').setInputFiles(archivePath);
    const item = page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`);
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 10_000 }).toBe('done');
    await expect.poll(() => item.getAttribute('aria-current')).toBe('true');
    await expect.poll(() => page.getByTestId('test-result').textContent()).toMatch(/^\d+\.\d\d %$/);
    expect(await page.getByTestId('import-error').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
