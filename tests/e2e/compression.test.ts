import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../shared/run-labels.js';
import { ModelManifest } from '../../shared/model-package.js';
import { RunConfig } from '../../shared/run-config.js';
import { int8MlpPath } from '../support/compression-fixtures.js';
import { openPage, SHOTS, startedRunDone, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

describe('compressing a finished run in the browser', () => {
  let session: ServeSession;
  const dataDir = tempDir('e2e-compress');

  beforeAll(async () => {
    session = await startServeSession(dataDir);
  });

  afterAll(() => session?.close());

  it('quantizes a finished run from its page and shows fp32 beside int8 and float16, as stored on disk', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { viewport: { width: 1280, height: 2200 }, countConsoleErrors: true });
    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('2000');
    await page.getByTestId('start-button').click();
    const sourceId = await startedRunDone(page, dataDir, []);

    await page.getByTestId('compress-button').click();
    // Bad input is refused beside its field, and nothing starts.
    await page.getByTestId('compress-tool-prune').check();
    await page.getByTestId('compress-sparsities').fill('0.5, 1.5');
    await page.getByTestId('compress-start').click();
    await expect.poll(() => page.getByTestId('compress-sparsities-error').textContent()).toMatch(/sparsities.*must be a number > 0 and < 1/);
    expect(readdirSync(join(dataDir, 'runs'))).toHaveLength(1);

    await page.getByTestId('compress-tool-quantize').check();
    await page.getByTestId('compress-dtype-float16').check();
    await page.getByTestId('compress-start').click();
    const runId = await startedRunDone(page, dataDir, [sourceId]);
    const table = page.getByTestId('compression-table');
    await expect.poll(() => table.locator('tbody tr[data-testid^="variant-"]').count(), { timeout: 10_000 }).toBe(3);
    await page.getByTestId('compression-results').screenshot({ path: join(SHOTS, 'compression-quantization.png') });

    const config = RunConfig.parse(JSON.parse(readFileSync(join(dataDir, 'runs', runId, 'config.json'), 'utf8')));
    expect(config.compression).toMatchObject({ kind: 'quantization', sourceRunId: sourceId, dtypes: ['int8', 'float16'], scheme: 'per-channel', symmetric: true });

    const manifest = (label: string) => ModelManifest.parse(JSON.parse(readFileSync(join(dataDir, 'runs', runId, 'models', label, 'model.json'), 'utf8')));
    for (const label of ['fp32', 'int8', 'float16']) {
      const row = table.getByTestId(`variant-${label}`);
      const { metrics, id } = manifest(label);
      expect(id).toBe(`${runId}.${label}`);
      expect(await row.getByTestId('variant-size').textContent()).toBe(formatBytes(metrics.sizeBytes));
      expect(await row.getByTestId('variant-accuracy').textContent()).toBe(`${(metrics.testAccuracy! * 100).toFixed(2)} %`);
      // Timed side by side once all three were stored; the table shows the figure on record.
      expect(await row.getByTestId('variant-speed').textContent()).toBe(Math.round(metrics.samplesPerSec!).toLocaleString('en-US'));
    }
    const [fp32, int8] = [manifest('fp32'), manifest('int8')];
    expect(int8.metrics.sizeBytes / fp32.metrics.sizeBytes).toBeLessThanOrEqual(0.3);
    expect(Math.abs(int8.metrics.testAccuracy! - fp32.metrics.testAccuracy!)).toBeLessThan(0.02);
    // The table says how each speed was reached: int8 on the int8 kernels where this build has them.
    expect(await table.getByTestId('variant-int8').getByTestId('variant-path').textContent()).toMatch(int8MlpPath() === 'int8' ? /on int8 kernels/ : /dequantized to fp32 first/);
    expect(await table.getByTestId('variant-float16').getByTestId('variant-path').textContent()).toMatch(/dequantized to fp32 first/);
    expect(await page.getByTestId('compression-chart').getAttribute('data-points')).toBe('3');
    expect(await page.getByTestId('layer-table').locator('tbody tr').count()).toBeGreaterThan(0);

    // Saved from its row: a tar of the folder `export` writes, the same bytes as stored.
    const [download] = await Promise.all([page.waitForEvent('download'), table.getByTestId('export-int8-hpc').click()]);
    expect(download.suggestedFilename()).toBe(`${runId}.int8.hpc-model.tar`);
    const saved = tempDir('e2e-model-download');
    await download.saveAs(join(saved, 'model.tar'));
    execFileSync('tar', ['-xf', 'model.tar'], { cwd: saved });
    const unpacked = join(saved, `${runId}.int8.hpc-model`);
    expect(readFileSync(join(unpacked, 'weights.bin'))).toEqual(readFileSync(join(dataDir, 'runs', runId, 'models', 'int8', 'weights.bin')));
    expect(ModelManifest.parse(JSON.parse(readFileSync(join(unpacked, 'model.json'), 'utf8')))).toEqual(int8);
    // Per-channel int8 is more than TF.js's format holds: only the app's own is offered for it.
    expect(await table.getByTestId('export-int8-tfjs').count()).toBe(0);
    expect(await table.getByTestId('export-float16-tfjs').count()).toBe(1);

    // Served from its row: the Deploy form opens with the variant, and it answers on this machine.
    await table.getByTestId('deploy-int8').click();
    expect(await page.getByTestId('deploy-model').inputValue()).toBe(`${runId}.int8`);
    await page.getByTestId('deploy-button').click();
    const deployment = page.locator(`[data-testid="deployment"][data-model="${runId}.int8"]`);
    await expect.poll(() => deployment.getByTestId('deployment-peer').getAttribute('data-state'), { timeout: 30_000 }).toBe('serving');
    expect(errors).toEqual([]);
  }, 180_000);
});
