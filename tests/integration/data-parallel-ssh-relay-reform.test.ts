import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { jsonLines, startCli } from '../support/cli-process.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';

// Two nodes (accounts on a real sshd), the ring over SSH relays through this machine; one node's
// trainer is killed mid-run and the ring forms again over the peers left, its relays following.

describe('an SSH-relayed ring that loses a peer', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd({ users: 2, remoteForwarding: true });
  });
  afterAll(() => sshd?.stop());

  it('re-forms over the peers left, relaying the new links, and trains to the end', async () => {
    const work = tempDir('ssh-relay-reform');
    const nodes = sshd.accounts.map((a) => `ssh://${a.user}@127.0.0.1:${sshd.port}`);
    // The user's ssh-agent holds both nodes' keys.
    const socket = join(tempDir('ssh-agent'), 'agent.sock');
    const sshAgent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    onTestFinished(() => void sshAgent.kill());
    await waitFor('ssh-agent', () => existsSync(socket), 5000);
    execFileSync('ssh-add', sshd.accounts.map((a) => a.clientKey), { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const cli = startCli(
      [
        'train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '3', '--limit', '640', '--batch-size', '64', '--json',
        '--data-dir', join(work, 'data'), '--peers', ['local', ...nodes].join(','), '--ring-over', 'ssh', '--known-hosts', join(work, 'known_hosts'), '--accept-new-host',
      ],
      { SSH_AUTH_SOCK: socket },
    );
    let stderr = '';
    cli.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const pid = Number(await waitFor('peer 2 to be ready', () => /peer 2 \(ssh:\/\/[^)]+\) ready: .*, pid (\d+)/.exec(stderr)?.[1], 60_000));
    await waitFor('a few steps', () => jsonLines(cli.stdout()).filter((e) => e.type === 'step').length >= 3, 60_000);
    process.kill(pid, 'SIGKILL');
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events.find((e) => e.type === 'peer-lost')).toMatchObject({ peer: 2, peersLeft: 2 });
    const routes = events.filter((e) => e.type === 'ring-route') as { generation: number; links: unknown[]; relayedBytes: number }[];
    expect(routes[0]).toMatchObject({
      generation: 0,
      links: [
        { rank: 0, peer: 0, toPeer: 2, via: 'ssh-relay' },
        { rank: 1, peer: 1, toPeer: 0, via: 'ssh-relay' },
        { rank: 2, peer: 2, toPeer: 1, via: 'ssh-relay' },
      ],
    });
    expect(routes.at(-1)).toMatchObject({
      generation: 1,
      links: [
        { rank: 0, peer: 0, toPeer: 1, via: 'ssh-relay' },
        { rank: 1, peer: 1, toPeer: 0, via: 'ssh-relay' },
      ],
    });
    expect(routes.at(-1)!.relayedBytes).toBeGreaterThan(routes.find((r) => r.generation === 1)!.relayedBytes);
    expect(events.filter((e) => e.type === 'step').at(-1)).toMatchObject({ step: 30 });
    expect(events.some((e) => e.type === 'done')).toBe(true);
  });
});
