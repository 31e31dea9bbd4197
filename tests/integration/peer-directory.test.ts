import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent, measureLatency } from '../../host/agent/agent-client.js';
import { PeerDirectory } from '../../host/distributed/peer-directory.js';
import { packageVersion } from '../../host/package-root.js';
import { FileSecretStore } from '../../host/secrets/file-secret-store.js';
import { SecretRedactor } from '../../host/secrets/secret-redactor.js';
import type { PeerStatus } from '../../shared/peer-status.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { runCli } from '../support/cli-process.js';
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
});
