import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { runCli } from '../support/cli-process.js';
import { startSshd } from '../support/sshd-server.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** The Peers panel in Debian's Chromium against a real `serve` and a real `hpc-studio agent` (a node on loopback). */
describe('peers in the browser', () => {
  let session: ServeSession;
  let agent: AgentProcess;
  let token: string;
  const dataDir = tempDir('e2e-peers');

  beforeAll(async () => {
    agent = await startAgent();
    token = (await runCli(['agent', '--print-token', '--data-dir', agent.dataDir])).stdout.trim();
    // Its own home: the SSH test below must not touch this user's ~/.ssh/known_hosts.
    session = await startServeSession(dataDir, { HOME: tempDir('home') });
  });

  afterAll(async () => {
    await session?.close();
    await agent?.stop();
  });

  it('adds an agent (refusing a wrong token), shows its machine live, trains a run with it, and removes it', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    await page.getByTestId('add-peer-toggle').click();
    await page.getByTestId('peer-url').fill(agent.listening.url);
    await page.getByTestId('peer-token').fill('x'.repeat(43));
    await page.getByTestId('add-peer-button').click();
    await expect.poll(() => page.getByTestId('peer-url-error').textContent(), { timeout: 15_000 }).toMatch(/wrong token/);
    await expect.poll(() => page.getByTestId('peer').count()).toBe(0);

    await page.getByTestId('peer-token').fill(token);
    await page.getByTestId('add-peer-button').click();
    const peer = page.getByTestId('peer');
    await expect.poll(() => peer.getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
    await expect.poll(() => peer.getByTestId('peer-latency').textContent()).toMatch(/^\d+\.\d ms$/);
    await expect.poll(() => peer.getByTestId('peer-machine').textContent()).toMatch(/^\d+ CPUs · \d+ GiB · no GPU$/);
    await expect.poll(() => peer.getByTestId('peer-utilisation').textContent()).toMatch(/^CPU \d+ %$/);
    await expect.poll(() => peer.getByTestId('peer-backend').textContent(), { timeout: 15_000 }).toMatch(/hpc-native|wasm/);
    // The token is kept for the next start, readable only by the user, and never shown again.
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(await page.content()).not.toContain(token);

    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('3000');
    await page.getByTestId(`run-peer-${agent.listening.url}`).check();
    await page.getByTestId('run-peers-send-dataset').check();
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('peer-throughput-chart').getAttribute('data-points'), { timeout: 60_000 }).not.toBe('0');
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 60_000 }).toMatch(/done/i);
    await expect.poll(() => page.locator('dl.kv').last().textContent()).toContain(`data-parallel over 2: local, ${agent.listening.url}`);
    // Computing, exchanging while computing (the overlap with the backward pass), and exchanging after it.
    expect(await page.getByTestId('peer-exchange-chart').getAttribute('data-lines')).toBe('3');
    await page.screenshot({ path: join(SHOTS, 'data-parallel-run.png'), fullPage: true });
    // The node was sent the dataset and kept it under its hash.
    expect(readdirSync(join(agent.dataDir, 'datasets'))).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);

    // The same peer as the second stage of a pipeline: each stage's busy share is drawn, the rest its bubble.
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('3000');
    await page.getByTestId(`run-peer-${agent.listening.url}`).check();
    await page.getByTestId('run-parallel-model').check();
    await page.getByTestId('run-micro-batches').fill('8');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('peer-busy-chart').getAttribute('data-points'), { timeout: 60_000 }).not.toBe('0');
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 60_000 }).toMatch(/done/i);
    await expect.poll(() => page.locator('dl.kv').last().textContent()).toContain(`model-parallel over 2: local, ${agent.listening.url}`);
    await expect.poll(() => page.getByTestId('peer-busy-chart').textContent()).toContain('each stage busy');
    expect(await page.getByTestId('peer-busy-chart').getAttribute('data-lines')).toBe('2');
    await page.screenshot({ path: join(SHOTS, 'model-parallel-run.png'), fullPage: true });

    await page.getByTestId('peer-remove').click();
    await expect.poll(() => page.getByTestId('peer').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('adds a node over SSH once the user has seen and trusted its host key fingerprint', async () => {
    const sshd = await startSshd();
    try {
      const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
      await page.getByTestId('add-peer-toggle').click();
      await page.getByTestId('add-peer-by-ssh').check();
      await page.getByTestId('ssh-user').fill(sshd.user);
      await page.getByTestId('ssh-host').fill('127.0.0.1');
      await page.getByTestId('ssh-port').fill(String(sshd.port));
      await page.getByTestId('ssh-key').fill(sshd.clientKey);
      await page.getByTestId('add-peer-button').click();
      await expect.poll(() => page.getByTestId('ssh-fingerprint').textContent(), { timeout: 20_000 }).toBe(sshd.hostFingerprint());
      expect(await page.getByTestId('peer').count()).toBe(0);
      await page.screenshot({ path: join(SHOTS, 'peers-ssh-fingerprint.png') });
      await page.getByTestId('ssh-trust').click();
      const peer = page.getByTestId('peer');
      await expect.poll(() => peer.getAttribute('data-state'), { timeout: 30_000 }).toBe('online');
      await expect.poll(() => peer.locator('.line').first().textContent()).toBe(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`);
      await peer.getByTestId('peer-remove').click();
      await expect.poll(() => page.getByTestId('peer').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      // serve holds the node's SSH session: it ends first, so the node's test user can be removed.
      await session.close();
      await sshd.stop();
    }
  });
});
