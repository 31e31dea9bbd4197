import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { startLoginNode, type TestLoginNode } from '../support/slurm-login-node.js';
import { tempDir } from '../support/studio-fixture.js';

/**
 * The Cluster panel on a cluster reached through its login node: a real Slurm behind a real sshd
 * (slurm-login-node.ts), added in the Peers panel, then chosen as the panel's cluster. The host
 * itself has no Slurm configured, so what the panel shows comes from the login node.
 */
describe('the Cluster panel on a login node over SSH', () => {
  let node: TestLoginNode;
  let session: ServeSession;

  beforeAll(async () => {
    node = await startLoginNode();
    // Its own home: adding the node must not touch this user's ~/.ssh/known_hosts.
    session = await startServeSession(tempDir('e2e-cluster-ssh'), { HOME: tempDir('home') });
  }, 60_000);
  afterAll(async () => {
    // serve holds the login node's SSH session: it ends first, so the node's test user can be removed.
    await session?.close();
    await node?.stop();
  });

  it("follows the chosen login node: its partition and node, and a job submitted there runs in its data directory", async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    const panel = page.getByTestId('cluster-panel');
    await expect.poll(() => panel.getByTestId('cluster-unavailable').textContent(), { timeout: 15_000 }).toMatch(/Slurm does not answer/);

    await page.getByTestId('add-peer-toggle').click();
    await page.getByTestId('add-peer-by-ssh').check();
    await page.getByTestId('ssh-user').fill(node.sshd.user);
    await page.getByTestId('ssh-host').fill('127.0.0.1');
    await page.getByTestId('ssh-port').fill(String(node.sshd.port));
    await page.getByTestId('ssh-key').fill(node.sshd.clientKey);
    await page.getByTestId('add-peer-button').click();
    await page.getByTestId('ssh-trust').click({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('peer').getAttribute('data-state'), { timeout: 30_000 }).toBe('online');

    const url = `ssh://${node.login}`;
    await panel.getByTestId('cluster-target').selectOption(url);
    await expect.poll(() => panel.getByTestId('cluster-node').count(), { timeout: 20_000 }).toBe(1);
    expect(await panel.getByTestId('cluster-partition').textContent()).toMatch(new RegExp(`${node.slurm.partition}\\s*\\*\\s*· up · 1 node`));
    await panel.getByTestId('cluster-refresh').selectOption('5');

    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('256');
    await panel.getByTestId('cluster-new-job').click();
    const form = panel.getByTestId('cluster-job-form');
    await form.getByTestId('cluster-job-name').fill('e2e-ssh');
    await form.getByTestId('cluster-job-timeLimitMin').fill('5');
    await form.getByTestId('cluster-job-preview').click();
    // The script was written by the agent on the login node, for its own data directory.
    const script = await form.getByTestId('cluster-job-script').textContent({ timeout: 20_000 });
    expect(script).toContain(`#SBATCH --chdir="${join(node.dataDir, 'cluster-runs')}/e2e-ssh-`);
    await form.getByTestId('cluster-job-submit').click();
    const run = panel.getByTestId('cluster-run').filter({ hasText: 'e2e-ssh' });
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 60_000 }).toBe('completed');
    await page.screenshot({ path: join(SHOTS, 'cluster-ssh.png') });

    // Back on this machine's cluster, which does not answer: the login node's runs are not shown as its own.
    await panel.getByTestId('cluster-target').selectOption('local');
    await expect.poll(() => panel.getByTestId('cluster-unavailable').count(), { timeout: 15_000 }).toBe(1);
    expect(await panel.getByTestId('cluster-run').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);
});
