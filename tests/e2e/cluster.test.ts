import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

/** The Cluster panel in Debian's Chromium, served by a host on a real single-node Slurm 22.05 (its "login node"). */
describe('the Cluster panel', () => {
  let slurm: TestSlurm;
  let session: ServeSession;

  beforeAll(async () => {
    slurm = await startSlurm();
    session = await startServeSession(tempDir('e2e-cluster'), { SLURM_CONF: slurm.env.SLURM_CONF });
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await slurm?.stop();
  });

  it('lists the partition and the node, and shows a submitted job running on it', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    const panel = page.getByTestId('cluster-panel');
    await expect.poll(() => panel.getByTestId('cluster-node').count(), { timeout: 15_000 }).toBe(1);
    expect(await panel.getByTestId('cluster-version').textContent()).toMatch(/^Slurm 22\.05\./);
    expect(await panel.getByTestId('cluster-partition').textContent()).toMatch(new RegExp(`${slurm.partition}\\s*\\*\\s*· up · 1 node`));
    const node = panel.getByTestId('cluster-node');
    expect(await node.getAttribute('data-state')).toBe('idle');
    expect(await node.textContent()).toMatch(new RegExp(`${slurm.node}\\s*idle\\s*2 CPUs · no GPU · \\d+ GiB`));
    expect(await panel.textContent()).toContain('No jobs.');

    await panel.getByTestId('cluster-refresh').selectOption('5');
    const id = /Submitted batch job (\d+)/.exec(execFileSync('sbatch', ['--job-name=e2e-train', '--output=/dev/null', '--wrap=sleep 120'], { env: slurm.env, cwd: slurm.dir, encoding: 'utf8' }))![1];
    try {
      const job = panel.getByTestId('cluster-job');
      await expect.poll(() => job.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
      expect(await job.textContent()).toMatch(new RegExp(`${id}\\s*e2e-train · \\S+ · running on ${slurm.node}`));
      await page.screenshot({ path: join(SHOTS, 'cluster-panel.png') });
    } finally {
      execFileSync('scancel', [id!], { env: slurm.env });
    }
    expect(errors).toEqual([]);
  });

  /** A fresh page on the panel, reading the cluster every 5 s, its fastest. */
  async function openPanel(): Promise<{ page: Page; errors: string[]; panel: Locator }> {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    const panel = page.getByTestId('cluster-panel');
    await expect.poll(() => panel.getByTestId('cluster-node').count(), { timeout: 15_000 }).toBe(1);
    await panel.getByTestId('cluster-refresh').selectOption('5');
    return { page, errors, panel };
  }

  /**
   * The run comes from the new-run form as it stands. Batches of 1 make it train for some 15 s,
   * past the panel's fastest refresh, which 1 epoch of 2,000 examples in 64s (under 3 s) would slip through.
   */
  async function describeRun(page: Page): Promise<void> {
    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('3');
    await page.getByTestId('field-batchSize').fill('1');
    await page.getByTestId('field-limit').fill('2000');
  }

  const points = async (page: Page) => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  /** The run's steps: 3 epochs of the 1,834 training examples (2,000 less the validation share) in batches of 1. */
  const RUN_STEPS = 3 * 1834;
  /** The loss steps the chart's window holds, before drawing keeps only each pixel column's extremes. */
  const steps = async (page: Page) => Number(await page.getByTestId('loss-chart').getAttribute('data-raw-count'));

  it('submits a training run as a job from its script, follows it to completion and shows its curves', async () => {
    const { page, errors, panel } = await openPanel();
    expect(await panel.getByTestId('cluster-target').inputValue()).toBe('local');
    await describeRun(page);
    await panel.getByTestId('cluster-new-job').click();
    const form = panel.getByTestId('cluster-job-form');
    expect(await form.getByTestId('cluster-job-run').textContent()).toMatch(/^mlp on Fashion-MNIST \(first 2,000\) · 3 epochs · batch 1 · lr 0\.001 · adam$/);

    await form.getByTestId('cluster-job-name').fill('bad name;rm');
    await form.getByTestId('cluster-job-preview').click();
    await expect.poll(() => form.getByTestId('cluster-job-error-name').textContent()).toMatch(/name: must be a job name: 1–64 letters, digits/);
    expect(await form.getByTestId('cluster-job-name').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByTestId('cluster-job-script').count()).toBe(0);

    await form.getByTestId('cluster-job-name').fill('e2e-mlp');
    await form.getByTestId('cluster-job-partition').selectOption(slurm.partition);
    await form.getByTestId('cluster-job-nodes').fill('1');
    await form.getByTestId('cluster-job-tasksPerNode').fill('1');
    await form.getByTestId('cluster-job-gpusPerNode').fill('0');
    await form.getByTestId('cluster-job-timeLimitMin').fill('5');
    await form.getByTestId('cluster-job-preview').click();
    const script = (await form.getByTestId('cluster-job-script').textContent({ timeout: 10_000 }))!;
    expect(await form.getByTestId('cluster-job-name').getAttribute('aria-invalid')).toBe('false');
    for (const line of ['#SBATCH --job-name=e2e-mlp', `#SBATCH --partition=${slurm.partition}`, '#SBATCH --nodes=1', '#SBATCH --ntasks-per-node=1', '#SBATCH --time=5']) {
      expect(script.split('\n')).toContain(line);
    }
    expect(script).toMatch(/^exec srun /m);

    // Save script… is a Blob download, which the app's CSP lets through.
    const [download] = await Promise.all([page.waitForEvent('download'), form.getByTestId('cluster-job-save').click()]);
    expect(download.suggestedFilename()).toMatch(/^e2e-mlp-\d{8}-\d{6}-[0-9a-f]{4}\.sbatch$/);
    expect(readFileSync((await download.path())!, 'utf8')).toBe(script);

    // A job holding both of the node's CPUs keeps ours waiting for resources, first in the queue.
    const blocker = /Submitted batch job (\d+)/.exec(execFileSync('sbatch', ['--job-name=blocker', '--ntasks=2', '--output=/dev/null', '--wrap=sleep 120'], { env: slurm.env, cwd: slurm.dir, encoding: 'utf8' }))![1]!;
    try {
      await form.getByTestId('cluster-job-submit').click();
      await expect.poll(() => form.count()).toBe(0);
      const submitted = panel.getByTestId('cluster-run').filter({ hasText: 'e2e-mlp' });
      await expect.poll(() => submitted.count()).toBe(1);
      expect(await submitted.getAttribute('data-state')).toBe('pending');
      await expect.poll(() => submitted.getByTestId('cluster-run-waits').textContent(), { timeout: 20_000 }).toBe('waits: Resources · 1st in queue');
    } finally {
      execFileSync('scancel', [blocker], { env: slurm.env });
    }
    const run = panel.getByTestId('cluster-run').filter({ hasText: 'e2e-mlp' });
    const clusterRunId = download.suggestedFilename().replace(/\.sbatch$/, '');
    expect(await run.getAttribute('data-cluster-run-id')).toBe(clusterRunId);

    // Running: on the node, its one task with no GPU and the node's readings.
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await run.getByTestId('cluster-run-nodes').textContent()).toBe(`on ${slurm.node}`);
    await expect.poll(() => run.getByTestId('cluster-task').count(), { timeout: 10_000 }).toBe(1);
    expect(await run.getByTestId('cluster-task-gpus').textContent()).toBe('no GPU');
    await expect.poll(() => run.getByTestId('cluster-task').getByRole('meter').count(), { timeout: 10_000 }).toBe(2);
    await panel.screenshot({ path: join(SHOTS, 'cluster-job-running.png') });

    // Show curves opens the run's own page, drawn from the log copied from the cluster.
    await expect.poll(() => run.getByTestId('cluster-run-curves').isEnabled(), { timeout: 20_000 }).toBe(true);
    await run.getByTestId('cluster-run-curves').click();
    await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(0);

    await expect.poll(() => run.getAttribute('data-state'), { timeout: 60_000 }).toBe('completed');
    expect(await run.getByTestId('cluster-run-state').textContent()).toBe('completed');
    expect(await run.getByTestId('cluster-run-cancel').count()).toBe(0);
    await run.getByTestId('cluster-run-output-toggle').click();
    await expect.poll(() => run.getByTestId('cluster-run-output').textContent()).toMatch(/epoch 3\/3: train loss \d/);
    await page.screenshot({ path: join(SHOTS, 'cluster-job.png') });
    expect(errors).toEqual([]);
  }, 90_000);

  it('cancels a running job once confirmed, and resumes the run from its checkpoint in a new job', async () => {
    const { page, errors, panel } = await openPanel();
    await describeRun(page);
    await panel.getByTestId('cluster-new-job').click();
    const form = panel.getByTestId('cluster-job-form');
    await form.getByTestId('cluster-job-name').fill('e2e-resume');
    await form.getByTestId('cluster-job-preview').click();
    expect(await form.getByTestId('cluster-job-script').textContent({ timeout: 10_000 })).toContain('#SBATCH --job-name=e2e-resume');
    await form.getByTestId('cluster-job-submit').click();
    const run = panel.getByTestId('cluster-run').filter({ hasText: 'e2e-resume' });
    await expect.poll(() => run.getByTestId('cluster-run-curves').isEnabled(), { timeout: 30_000 }).toBe(true);
    await run.getByTestId('cluster-run-curves').click();
    await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(100);
    const firstJob = await run.getByTestId('cluster-run-job').textContent();

    await run.getByTestId('cluster-run-cancel').click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.textContent()).toContain('Cancel this job?');
    await dialog.getByTestId('confirm-button').click();
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 20_000 }).toBe('cancelled');
    await expect.poll(() => run.getByTestId('cluster-run-resume').count(), { timeout: 10_000 }).toBe(1);
    expect(await run.getByTestId('cluster-run-cancel').count()).toBe(0);
    await panel.screenshot({ path: join(SHOTS, 'cluster-job-cancelled.png') });
    const before = await steps(page);

    await run.getByTestId('cluster-run-resume').click();
    await expect.poll(() => run.getByTestId('cluster-run-job').textContent()).not.toBe(firstJob);
    expect(await run.textContent()).toContain('job 2 of this run');
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 60_000 }).toBe('completed');
    // The followed run goes on on its page: the new job's steps come after the first job's, to the end.
    await expect.poll(() => steps(page), { timeout: 10_000 }).toBe(RUN_STEPS);
    expect(before).toBeLessThan(RUN_STEPS);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 }).toMatch(/done/);
    expect(errors).toEqual([]);
  }, 90_000);
});
