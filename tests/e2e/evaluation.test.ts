import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunConfig } from '../../shared/run-config.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { BEST_CHECKPOINT_FILE, readCheckpoint } from '../../trainer/checkpoint.js';
import { loadDataset } from '../../trainer/data/load-dataset.js';
import { createModel } from '../../trainer/models/create-model.js';
import { restoreParameters } from '../../trainer/training-snapshot.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** Confusion counts computed here from the run's best checkpoint, apart from the app's evaluator. */
async function confusionFromCheckpoint(config: RunConfig, checkpointDir: string): Promise<number[][]> {
  await chooseBackend('wasm');
  const dataset = await loadDataset(config, () => {});
  const model = createModel(config.model, dataset.info, config.seed);
  restoreParameters(model, readCheckpoint(checkpointDir, BEST_CHECKPOINT_FILE)!);
  const { count, x, y } = dataset.test;
  const predicted = tf.tidy(() => tf.argMax(model.apply(tf.tensor2d(x, [count, dataset.featureSize])), 1).dataSync());
  const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  y.forEach((t, i) => matrix[t]![predicted[i]!]!++);
  return matrix;
}

describe('a finished run evaluated in the browser', () => {
  let session: ServeSession;
  const dataDir = tempDir('e2e-eval');

  beforeAll(async () => {
    session = await startServeSession(dataDir);
  });

  afterAll(() => session?.close());

  it('sets a schedule in the form, trains, and shows a confusion matrix equal to the checkpoint’s own predictions', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { viewport: { width: 1280, height: 2000 }, countConsoleErrors: true });

    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('600');
    await page.getByTestId('field-schedule').selectOption('step');
    await page.getByTestId('field-gamma').fill('2');
    await page.getByTestId('field-patience').fill('0');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('error-gamma').textContent()).toMatch(/schedule\.gamma: must be a number > 0 and ≤ 1/);
    await expect.poll(() => page.getByTestId('error-patience').textContent()).toMatch(/earlyStopping\.patience: must be an integer from 1 to 1000/);
    await page.locator('form.run-form').screenshot({ path: join(SHOTS, 'schedule-fields-errors.png') });

    await page.getByTestId('field-schedule').selectOption('cosine');
    await page.getByTestId('field-minLr').fill('0.0001');
    await page.getByTestId('field-warmupSteps').fill('5');
    await page.getByTestId('field-patience').fill('');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 40_000 }).toMatch(/done/i);

    await page.getByTestId('evaluate-button').click();
    const cells = page.locator('[data-testid="confusion-matrix"] td[data-cell]');
    await expect.poll(() => cells.count(), { timeout: 40_000 }).toBe(100);
    const shown = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    for (const cell of await cells.all()) {
      const [t, p] = (await cell.getAttribute('data-cell'))!.split('-').map(Number);
      shown[t!]![p!] = Number((await cell.textContent())!.trim());
    }
    await expect.poll(() => page.getByTestId('misclassified').locator('img').count()).toBe(48);
    await page.getByTestId('evaluation').screenshot({ path: join(SHOTS, 'evaluation.png') });

    const [runId] = readdirSync(join(dataDir, 'runs'));
    const config = RunConfig.parse(JSON.parse(readFileSync(join(dataDir, 'runs', runId!, 'config.json'), 'utf8')));
    expect(config).toMatchObject({ schedule: { kind: 'cosine', minLr: 0.0001 }, warmupSteps: 5 });
    expect(shown).toEqual(await confusionFromCheckpoint(config, join(dataDir, 'runs', runId!, 'checkpoints')));
    const accuracy = shown.reduce((sum, row, i) => sum + row[i]!, 0) / 10_000;
    expect(await page.getByTestId('evaluation-accuracy').textContent()).toBe(`${(accuracy * 100).toFixed(1)} %`);
    expect(errors).toEqual([]);
  });
});
