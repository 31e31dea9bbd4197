import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
});
