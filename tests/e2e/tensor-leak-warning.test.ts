import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR, type RunConfig } from '../../shared/run-config.js';
import { RUN_LOG_FORMAT, RUN_LOG_VERSION, type RunRecord } from '../../shared/run-record.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { sliceSplit } from '../../trainer/data/dataset.js';
import { loadFashionMnist } from '../../trainer/data/fashion-mnist.js';
import { createModel } from '../../trainer/models/create-model.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';
import { TrainingControl } from '../../trainer/training-control.js';
import { freshPosition, TrainingLoop } from '../../trainer/training-loop.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

const RUN_ID = 'run-20261124-130000-feed';
const CONFIG: RunConfig = {
  dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
  model: 'mlp', epochs: 1, batchSize: 1, lr: 0.002, optimizer: 'adam', seed: 5, limit: 240,
};

/**
 * Trains, in this process, the app's mlp wrapped so each forward pass keeps one tensor (a forgotten
 * `tf.keep`), and stores the trainer's events as a run's log, as the host writes them.
 */
async function writeLeakingRun(dataDir: string): Promise<void> {
  await chooseBackend('wasm');
  const full = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, CONFIG.limit, () => {});
  const dataset = { ...full, test: sliceSplit(full.test, full.featureSize, 0, 200), info: { ...full.info, testSize: 200 } };
  const mlp = createModel('mlp', dataset.info, CONFIG.seed);
  const model = { ...mlp, apply: (x: tf.Tensor2D) => (tf.keep(tf.zeros([4])), mlp.apply(x)) };
  const records: RunRecord[] = [{ type: 'status', time: Date.now(), status: 'running' }];
  await new TrainingLoop({
    config: CONFIG, dataset, model, optimizer: createOptimizer('adam', model.variables, CONFIG.lr), control: new TrainingControl(),
    position: freshPosition(CONFIG), emit: (e) => records.push(e), saveCheckpoint: async () => 'none',
  }).run();
  records.push({ type: 'status', time: Date.now(), status: 'done' });
  const dir = join(dataDir, 'runs', RUN_ID);
  mkdirSync(dir, { recursive: true });
  const header = { format: RUN_LOG_FORMAT, version: RUN_LOG_VERSION, runId: RUN_ID, createdAt: Date.now(), config: CONFIG };
  writeFileSync(join(dir, 'run.log.jsonl'), [header, ...records].map((r) => JSON.stringify(r) + '\n').join(''));
}

describe('a run that leaked tensors, in a browser', () => {
  let session: ServeSession;

  beforeAll(async () => {
    const dataDir = tempDir('e2e-leak');
    await writeLeakingRun(dataDir);
    session = await startServeSession(dataDir);
  }, 60_000);

  afterAll(() => session?.close());

  it('warns at the top of the run page with the growth per step, lists the hint, and charts the climbing count', async () => {
    const { page, errors } = await openPage(session.browser, session.url);
    await page.getByTestId('run-item').first().click();
    const warning = page.getByTestId('tensor-leak-warning');
    await expect.poll(() => warning.textContent(), { timeout: 20_000 }).toMatch(/Tensor leak from step 171: tensors are leaking/);
    expect(await warning.textContent()).toMatch(/\+1\.00 tensors\/step \(\+16 B\/step\) over steps 21–171/);
    expect(await page.getByTestId('hint-tensor-leak').textContent()).toMatch(/step 171/);
    // The live-tensor chart climbs: its highest drawn count is well above the first reading's.
    const chart = page.getByTestId('tensors-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThan(1);
    await expect.poll(async () => Number(await chart.getAttribute('data-visible-max')), { timeout: 20_000 }).toBeGreaterThan(200);
    await page.screenshot({ path: join(SHOTS, 'tensor-leak-warning.png') });
    expect(errors).toEqual([]);
  });
});
