import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunEvaluation, type RegressionEvaluation } from '../../shared/evaluation.js';
import { launchChromium } from '../support/browser.js';
import { jsonLines, runCli, startCli } from '../support/cli-process.js';
import { ROOT, tempDir, waitFor } from '../support/studio-fixture.js';

const SHOTS = join(ROOT, 'test-output', 'e2e');

describe('a regression run evaluated in the browser', () => {
  let browser: Browser;
  let serve: ReturnType<typeof startCli>;
  let url: string;
  const dataDir = tempDir('e2e-eval-csv');

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    serve = startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    url = await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m.exec(serve.stdout())?.[0], 20_000);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    await serve?.result;
  });

  it('draws predicted against actual for every test row, with the residual figures the CLI reads from the cache', async () => {
    const page = await browser.newPage({ colorScheme: 'dark', viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);

    await page.getByTestId('field-dataset').selectOption('csv');
    await page.getByTestId('field-csvPath').fill(join(ROOT, 'resources', 'linear-regression.csv'));
    await page.getByTestId('field-model').selectOption('linear');
    await page.getByTestId('field-epochs').fill('5');
    await page.getByTestId('field-batchSize').fill('16');
    await page.getByTestId('field-lr').fill('0.05');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toMatch(/done/i);

    await page.getByTestId('evaluate-button').click();
    const scatter = page.getByTestId('prediction-scatter');
    await expect.poll(() => scatter.getAttribute('data-points'), { timeout: 30_000 }).toMatch(/^\d+$/);
    await page.getByTestId('evaluation').screenshot({ path: join(SHOTS, 'evaluation-regression.png') });

    const runId = (await page.getByTestId('run-item').first().getAttribute('data-run-id'))!;
    const cli = await runCli(['runs', 'evaluate', runId, '--json', '--data-dir', dataDir]);
    const e = RunEvaluation.parse(jsonLines(cli.stdout)[0]).evaluation as RegressionEvaluation;
    expect(Number(await scatter.getAttribute('data-points'))).toBe(e.testSize);
    expect(await page.getByTestId('evaluation-r2').textContent()).toBe(e.r2.toFixed(4));
    expect(await page.getByTestId('evaluation-mae').textContent()).toBe(e.mae.toPrecision(4));
    expect(e.r2).toBeGreaterThan(0.9);
    expect(errors).toEqual([]);
  });
});
