import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent } from '../../host/agent/agent-client.js';
import { packageVersion } from '../../host/package-root.js';
import { readRunLog } from '../../host/run-log.js';
import { AgentListening } from '../../shared/agent-protocol.js';
import { runCli } from '../support/cli-process.js';
import { NetworkNamespace } from '../support/network-namespace.js';
import { CLI, collectRecords, createTestHost, ROOT, smallRun, tempDir, waitFor } from '../support/studio-fixture.js';

// A simulated cluster node: a network namespace with its own address, reached over a veth pair,
// running a real `hpc-studio agent`. Cutting the veth mid-run is the unplugged cable.

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.reverse().forEach((c) => c()));

describe('a peer whose network link is cut mid-run', () => {
  it('is dropped after it falls silent, and training goes on over the peers left', async () => {
    const node = new NetworkNamespace();
    cleanups.push(() => node.remove());
    const agentDir = tempDir('node');
    const [command, args] = node.exec([process.execPath, CLI, 'agent', '--json', '--port', '0', '--listen', node.nodeAddress, '--data-dir', agentDir]);
    const agent = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => agent.kill('SIGKILL'));
    let out = '';
    agent.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const listening = AgentListening.parse(JSON.parse(await waitFor('the node\'s agent', () => /^(.*)\n/.exec(out)?.[1], 20_000)));
    const token = (await runCli(['agent', '--print-token', '--data-dir', agentDir])).stdout.trim();
    const url = `ws://${node.nodeAddress}:${listening.port}`;

    const withPeers = createTestHost(undefined, (peer) => connectAgent({ url: peer, token, version: packageVersion() }));
    const records = collectRecords(withPeers);
    const { runId } = await withPeers.service.startRun({
      config: smallRun({ epochs: 30, distribution: { parallel: 'data', peers: ['local', 'local', url], interface: node.hostAddress } }),
    });
    await waitFor('the node to train', () => records.find((r) => r.type === 'peer-stats' && r.rank === 2), 60_000);
    node.cutLink();
    const cutAt = Date.now();
    const lost = await waitFor('the loss', () => records.find((r) => r.type === 'peer-lost'), 20_000);
    expect(Date.now() - cutAt).toBeLessThan(10_000);
    expect(lost).toMatchObject({ peer: 2, address: url, peersLeft: 2 });
    const stepsAtLoss = records.filter((r) => r.type === 'step').length;
    await waitFor('training to go on', () => records.filter((r) => r.type === 'step').length > stepsAtLoss + 20, 20_000);
    await withPeers.service.stopRun({ runId });
    await withPeers.supervisor.idle();
    expect(readRunLog(withPeers.store.paths(runId).log).records.at(-1)).toMatchObject({ type: 'status', status: 'stopped' });
  });
});
