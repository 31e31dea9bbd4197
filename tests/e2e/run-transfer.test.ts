import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** Export ▾ and Import run… in Debian's Chromium against a real `serve` process. */
describe('exporting and importing a run in the browser', () => {
  let session: ServeSession;
  let runId: string;

  beforeAll(async () => {
    const dataDir = tempDir('e2e-transfer');
    const trained = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '600', '--json', '--data-dir', dataDir]);
    runId = jsonLines(trained.stdout).at(-1)!.runId as string;
    session = await startServeSession(dataDir);
  });

  afterAll(() => session?.close());

  it('downloads CSV and an archive, then imports the archive back after the run is deleted', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { acceptDownloads: true });
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
