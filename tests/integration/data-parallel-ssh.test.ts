import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';

// Two simulated nodes: accounts on a real sshd on loopback (each its own home, its own agent,
// started by the CLI over SSH), training one run data-parallel with this machine.

describe('data-parallel training with peers reached over SSH', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd({ users: 2 });
  });
  afterAll(() => sshd?.stop());

  it('logs in through ssh-agent, starts each node\'s agent, trains over both, and matches the single trainer', async () => {
    const [a, b] = sshd.accounts;
    const work = tempDir('ssh-train');
    // The user's ssh-agent, holding both nodes' keys: no --identity needed.
    const socket = join(work, 'agent.sock');
    const sshAgent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent', () => existsSync(socket), 5000);
      execFileSync('ssh-add', [a!.clientKey, b!.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const train = ['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '2094', '--batch-size', '96', '--seed', '5', '--json'];
      const single = await runCli([...train, '--data-dir', tempDir('data')]);
      const nodes = [a!, b!].map((account) => `ssh://${account.user}@127.0.0.1:${sshd.port}`);
      const result = await runCli(
        [...train, '--data-dir', join(work, 'data'), '--peers', ['local', ...nodes].join(','), '--known-hosts', join(work, 'known_hosts'), '--accept-new-host'],
        { SSH_AUTH_SOCK: socket },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/trusting the new host \[127\.0\.0\.1\]:\d+, ssh-ed25519 key SHA256:/);
      nodes.forEach((node, i) => expect(result.stderr).toContain(`peer ${i + 1} (${node}) ready`));
      const losses = (stdout: string) => jsonLines(stdout).filter((e) => e.type === 'step').map((e) => e.loss as number);
      expect(losses(result.stdout)).toHaveLength(20);
      losses(result.stdout).forEach((loss, i) => expect(loss).toBeCloseTo(losses(single.stdout)[i]!, 4));
    } finally {
      sshAgent.kill();
    }
  });

  it('refuses a peer whose host key is not the one in known_hosts', async () => {
    const [a] = sshd.accounts;
    const work = tempDir('ssh-train');
    const args = ['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '600', '--data-dir', join(work, 'data'), '--peers', `local,ssh://${a!.user}@127.0.0.1:${sshd.port}`, '--identity', a!.clientKey, '--known-hosts', join(work, 'known_hosts'), '--accept-new-host'];
    expect((await runCli(args)).code).toBe(0);
    await sshd.regenerateHostKey();
    const changed = await runCli(args);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/peer 1 \(ssh:\/\/.*\).*host key of .* has CHANGED/);
  });
});
