import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunEvaluation, type RegressionEvaluation } from '../../shared/evaluation.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { ROOT, tempDir } from '../support/studio-fixture.js';

describe('a regression run evaluated in the browser', () => {
  let session: ServeSession;
  const dataDir = tempDir('e2e-eval-csv');

  beforeAll(async () => {
    session = await startServeSession(dataDir);
  });

  afterAll(() => session?.close());

  it('draws predicted against actual for every test row, with the residual figures the CLI reads from the cache', async () => {
    const { page, errors } = await openPage(session.browser, session.url, {
      colorScheme: 'dark',
      viewport: { width: 1440, height: 1000 },
      countConsoleErrors: true,
    });

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
