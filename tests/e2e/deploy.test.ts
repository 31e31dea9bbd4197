import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** The Deploy panel in Debian's Chromium against a real `serve` and a real `hpc-studio agent` on loopback. */
describe('deploying a model in the browser', () => {
  let session: ServeSession;
  let agent: AgentProcess;
  let runId: string;
  const dataDir = tempDir('e2e-deploy');

  beforeAll(async () => {
    const [trained, started] = await Promise.all([
      runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--limit', '200', '--epochs', '1', '--json', '--data-dir', dataDir]),
      startAgent(),
    ]);
    agent = started;
    runId = jsonLines(trained.stdout).find((l) => l.type === 'done')!.runId as string;
    session = await startServeSession(dataDir, { HOME: tempDir('home') });
  });

  afterAll(async () => {
    await session?.close();
    await agent?.stop();
  });

  it('deploys a run to an agent and this machine, predicts JSON rows and IDX test images over both, and shows each peer\'s figures', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    await page.getByTestId('add-peer-toggle').click();
    await page.getByTestId('peer-url').fill(agent.listening.url);
    await page.getByTestId('peer-token').fill(agent.listening.token!);
    await page.getByTestId('add-peer-button').click();
    await expect.poll(() => page.getByTestId('peer').getAttribute('data-state'), { timeout: 15_000 }).toBe('online');

    await page.getByTestId('deploy-toggle').click();
    await page.getByTestId('deploy-model').fill('no-such-run');
    await page.getByTestId('deploy-button').click();
    await expect.poll(() => page.getByTestId('deploy-model-error').textContent(), { timeout: 15_000 }).toContain('model: no run named "no-such-run"');

    await page.getByTestId('deploy-model').fill(runId);
    await page.getByTestId(`deploy-peer-${agent.listening.url}`).check();
    await page.getByTestId('deploy-button').click();
    const peers = page.getByTestId('deployment-peer');
    await expect.poll(() => peers.count(), { timeout: 20_000 }).toBe(2);
    expect(await peers.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-peer'), r.getAttribute('data-state')]))).toEqual([
      ['local', 'serving'],
      [agent.listening.url, 'serving'],
    ]);

    const random = seededRandom(9);
    const file = join(dataDir, 'rows.json');
    writeFileSync(file, JSON.stringify({ inputs: Array.from({ length: 500 }, () => Array.from({ length: 784 }, () => random())) }));
    await page.getByTestId('deployment-input').setInputFiles(file);
    await expect.poll(() => page.getByTestId('deployment-result').textContent(), { timeout: 20_000 }).toMatch(/^\s*500 rows in \d+\.\d\d s; per class:/);
    const rows = await page.getByTestId('deployment-peer-rows').allTextContents();
    expect(rows.map(Number).reduce((a, b) => a + b, 0)).toBe(500);
    expect(rows.map(Number).every((n) => n > 0)).toBe(true);

    // Fashion-MNIST's own test images, normalised as the run trained: the same classes as the CLI's `predict` gives.
    const images = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
    await page.getByTestId('deployment-input').setInputFiles(images);
    await expect.poll(() => page.getByTestId('deployment-result').textContent(), { timeout: 60_000 }).toMatch(/^\s*10000 rows in /);
    const cli = jsonLines((await runCli(['predict', '--model', runId, '--input', images, '--json', '--data-dir', dataDir])).stdout);
    const counts = Array.from({ length: 10 }, (_, c) => cli.filter((l) => l.type === 'prediction' && l.classId === c).length);
    expect((await page.getByTestId('deployment-result').textContent())!.trim()).toMatch(new RegExp(`per class:\\s+${counts.map((n, c) => `${c}: ${n}`).join(', ')}$`));
    expect((await page.getByTestId('deployment-peer-rows').allTextContents()).map(Number).reduce((a, b) => a + b, 0)).toBe(10_500);
    await page.screenshot({ path: join(SHOTS, 'deploy-panel.png') });

    // A file that is neither: refused by name, nothing predicted.
    const notes = join(dataDir, 'notes.txt');
    writeFileSync(notes, 'not rows');
    await page.getByTestId('deployment-input').setInputFiles(notes);
    await expect.poll(() => page.getByTestId('deployment-error').textContent(), { timeout: 20_000 }).toMatch(/^input: notes\.txt is neither JSON nor an IDX images file/);

    await page.getByTestId('deployment-stop').click();
    await expect.poll(() => page.getByTestId('deployment').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
