import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent, measureLatency } from '../../host/agent/agent-client.js';
import { PeerDirectory } from '../../host/distributed/peer-directory.js';
import { packageVersion } from '../../host/package-root.js';
import { FileSecretStore } from '../../host/secrets/file-secret-store.js';
import { connectAgentOverSsh } from '../../host/ssh/remote-agent.js';
import { SecretRedactor } from '../../host/secrets/secret-redactor.js';
import type { PeerStatus } from '../../shared/peer-status.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { runCli } from '../support/cli-process.js';
import { startSshd } from '../support/sshd-server.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';

const agents: AgentProcess[] = [];
const directories: PeerDirectory[] = [];
afterAll(async () => {
  directories.forEach((d) => d.stop());
  await Promise.all(agents.map((a) => a.stop()));
});

function directory(dir: string, seen: PeerStatus[][] = []): PeerDirectory {
  const d = new PeerDirectory({
    file: join(dir, 'peers.json'),
    secrets: new FileSecretStore(join(dir, 'secrets.json'), new SecretRedactor()),
    connect: (url, token) => connectAgent({ url, token, version: packageVersion() }),
    connectSsh: (url, identityFile, confirm) =>
      connectAgentOverSsh({ target: url, identityFile, confirmUnknownHost: confirm, knownHostsFile: join(dir, 'known_hosts'), version: packageVersion(), bundleCacheDir: join(dir, 'bundles') }),
    measureLatency: (c) => measureLatency(c.client),
    onChange: (list) => seen.push(list),
    refreshEveryMs: 200,
  });
  directories.push(d);
  return d;
}

describe('the peer directory, with a real agent', () => {
  it('keeps an added peer and its token across restarts, and notices when it goes away', async () => {
    const agent = await startAgent();
    agents.push(agent);
    const token = (await runCli(['agent', '--print-token', '--data-dir', agent.dataDir])).stdout.trim();
    const dir = tempDir('peers');
    const added = await directory(dir).add(agent.listening.url, token);
    expect(added).toMatchObject({ url: agent.listening.url, state: 'online', problem: null });
    expect(readFileSync(join(dir, 'peers.json'), 'utf8')).not.toContain(token);

    const seen: PeerStatus[][] = [];
    const restarted = directory(dir, seen);
    restarted.start();
    await waitFor('the kept peer to come online', () => seen.at(-1)?.[0]?.state === 'online', 10_000);
    expect(seen.at(-1)![0]!.description?.hostname).toBeTruthy();

    await agent.stop();
    await waitFor('the peer to go offline', () => seen.at(-1)?.[0]?.state === 'offline', 10_000);
    expect(seen.at(-1)![0]!.problem).toMatch(/not reachable|closed/);
  });

  it('adds a node over SSH only once the user trusts its host key fingerprint, and keeps it', async () => {
    const sshd = await startSshd();
    try {
      const dir = tempDir('peers');
      const fields = { host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey };
      const first = await directory(dir).addSsh(fields);
      expect(first).toEqual({ kind: 'unknown-host', host: '127.0.0.1', port: sshd.port, fingerprint: sshd.hostFingerprint(), keyType: 'ssh-ed25519' });
      await expect(directory(dir).addSsh({ ...fields, trust: 'SHA256:' + 'A'.repeat(43) })).resolves.toMatchObject({ kind: 'unknown-host' });
      const added = await directory(dir).addSsh({ ...fields, trust: sshd.hostFingerprint() });
      expect(added).toMatchObject({ kind: 'added', peer: { url: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, state: 'online' } });
      const seen: PeerStatus[][] = [];
      directory(dir, seen).start();
      await waitFor('the SSH peer to come online after a restart', () => seen.at(-1)?.[0]?.state === 'online', 20_000);
    } finally {
      // Their SSH sessions must close before the node's test user can be removed.
      directories.splice(0).forEach((d) => d.stop());
      await sshd.stop();
    }
  });
});
