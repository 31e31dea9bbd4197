import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentConnection } from '../../host/agent/agent-client.js';
import { ClusterGateway } from '../../host/cluster/cluster-gateway.js';
import type { ClusterAccess } from '../../host/cluster/cluster-access.js';
import { packageVersion } from '../../host/package-root.js';
import type { ClusterTarget } from '../../shared/cluster-job.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { runCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

// The gateway's connections to a login node's agent, against a real `hpc-studio agent` process
// reached directly (the SSH leg is covered by cluster-ssh-gateway.test.ts): what it keeps, when it
// connects again, and what closing ends.

describe("the cluster gateway's connections to a login node's agent", () => {
  const dataDir = tempDir('gateway-agent');
  let agent: AgentProcess | null = null;
  afterAll(() => agent?.stop());

  it('connects once for any number of calls, again only after the connection dropped, and not at all once closed', async () => {
    agent = await startAgent([], dataDir);
    const token = (await runCli(['agent', '--print-token', '--data-dir', dataDir])).stdout.trim();
    const opened: AgentConnection[] = [];
    const local = {} as ClusterAccess;
    const gateway = new ClusterGateway({
      local,
      connect: async () => {
        const connection = await connectAgent({ url: agent!.listening.url, token, version: packageVersion() });
        opened.push(connection);
        return connection;
      },
    });
    const target: ClusterTarget = { kind: 'ssh', url: 'ssh://me@login1.cluster.example:22' };

    expect(await gateway.accessFor({ kind: 'local' })).toBe(local);
    const [a, b] = await Promise.all([gateway.accessFor(target), gateway.accessFor(target)]);
    expect(await Promise.all([a.listClusterRuns({}), b.listClusterRuns({}), a.listClusterRuns({})])).toEqual([[], [], []]);
    expect(opened).toHaveLength(1);

    await agent.stop();
    // An access handed out before the drop fails with the login node named, and holds on to nothing.
    await expect(a.listClusterRuns({})).rejects.toThrow(/^cluster ssh:\/\/me@login1\.cluster\.example:22: (connection closed|agent at ws:\/\/127\.0\.0\.1:\d+: not reachable)/);
    await expect((await gateway.accessFor(target)).listClusterRuns({})).rejects.toThrow(/^cluster ssh:\/\/me@login1\.cluster\.example:22: agent at ws:\/\/127\.0\.0\.1:\d+: not reachable/);

    agent = await startAgent([], dataDir);
    expect(await a.listClusterRuns({})).toEqual([]);
    expect(await (await gateway.accessFor(target)).listClusterRuns({})).toEqual([]);
    const reconnected = opened.at(-1)!;
    expect(opened.slice(0, -1).every((c) => c !== reconnected)).toBe(true);

    const connects = opened.length;
    gateway.close();
    await expect(reconnected.client.whenClosed).resolves.toBeInstanceOf(Error);
    await expect(a.listClusterRuns({})).rejects.toThrow('target: ssh://me@login1.cluster.example:22: the app is shutting down');
    await expect((await gateway.accessFor(target)).getClusterStatus({})).rejects.toThrow('the app is shutting down');
    await expect((await gateway.accessFor({ kind: 'ssh', url: 'ssh://me@login2.cluster.example:22' })).listClusterRuns({})).rejects.toThrow('the app is shutting down');
    expect(opened).toHaveLength(connects);
  });
});
