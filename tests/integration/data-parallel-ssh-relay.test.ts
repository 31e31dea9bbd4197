import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, startCli } from '../support/cli-process.js';
import { NetworkNamespace } from '../support/network-namespace.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { openPage, SHOTS, startServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

// A simulated cluster node: a network namespace whose only door is a real sshd on its own
// address. The CLI starts the node's agent over SSH and trains one run with it, its ring carried
// directly, over SSH relays through this machine, or (auto) relayed only where a link cannot connect.

/** The mlp's parameters for Fashion-MNIST (784 → 256 → 128 → 10): one gradient is this many float32s. */
const MLP_PARAMETERS = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10;

interface Listening {
  address: string;
  port: number;
}

// One data directory for every run (the agent bundle is built once), which the browser test then serves.
const work = tempDir('ssh-relay');
const runIds: { direct?: string; relayed?: string } = {};

describe('a data-parallel ring carried over SSH relays', () => {
  let node: NetworkNamespace;
  let sshd: TestSshd;
  let uid: number;
  beforeAll(async () => {
    node = new NetworkNamespace();
    sshd = await startSshd({ namespace: node, remoteForwarding: true });
    uid = Number(execFileSync('id', ['-u', sshd.user], { encoding: 'utf8' }));
  });
  afterAll(async () => {
    await sshd?.stop();
    node?.remove();
  });

  /** Trains on this machine and the node, noting the TCP ports the node's user listens on meanwhile. */
  async function train(flags: string[]) {
    const args = ['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '384', '--batch-size', '64', '--seed', '3', '--json'];
    const peers = `local,ssh://${sshd.user}@${sshd.host}:${sshd.port}`;
    const cli = startCli([...args, '--data-dir', join(work, 'data'), '--peers', peers, '--identity', sshd.clientKey, '--known-hosts', join(work, 'known_hosts'), '--accept-new-host', ...flags]);
    const listening = new Map<string, Listening>();
    const watch = setInterval(() => listeningOnNode(node, uid).forEach((l) => listening.set(`${l.address}:${l.port}`, l)), 100);
    const result = await cli.result.finally(() => clearInterval(watch));
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    return {
      runId: events[0]!.runId as string,
      stderr: result.stderr,
      losses: events.filter((e) => e.type === 'step').map((e) => e.loss as number),
      done: events.find((e) => e.type === 'done')!,
      routes: events.filter((e) => e.type === 'ring-route') as { links: { peer: number; toPeer: number; via: string }[]; relayedBytes: number }[],
      listening: [...listening.values()],
    };
  }

  it('trains the same model over SSH relays as directly, the relays carrying every exchange, the node listening only on its loopback', async () => {
    const direct = await train(['--ring-over', 'direct', '--interface', node.hostAddress]);
    expect(direct.routes).toEqual([]);
    expect(direct.losses).toHaveLength(6);
    runIds.direct = direct.runId;

    const relayed = await train(['--ring-over', 'ssh']);
    runIds.relayed = relayed.runId;
    relayed.losses.forEach((loss, i) => expect(Math.abs(loss - direct.losses[i]!)).toBeLessThan(1e-5));
    expect(relayed.losses).toHaveLength(6);
    expect(Math.abs((relayed.done.testLoss as number) - (direct.done.testLoss as number))).toBeLessThan(1e-5);
    expect(relayed.routes[0]!.links.map((l) => l.via)).toEqual(['ssh-relay', 'ssh-relay']);
    // Both links through the relay, each step's exchange passing each link: at least one gradient per step and link.
    expect(relayed.routes.at(-1)!.relayedBytes).toBeGreaterThan(2 * MLP_PARAMETERS * 4 * relayed.losses.length);
    expect(relayed.stderr).toContain('warn: ring over SSH (relayed via this machine, slower): peer 0 → peer 1, peer 1 → peer 0');
    // The agent, the trainer's data port and the relay's listener: all on the node's loopback.
    expect(relayed.listening.length).toBeGreaterThanOrEqual(3);
    expect(relayed.listening.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
  });

  it('auto relays only the link that cannot connect: the node has no route to this machine\'s interface', async () => {
    const unreachable = node.addHostOnlyAddress();
    const auto = await train(['--interface', unreachable]);
    expect(auto.stderr).toMatch(new RegExp(`peer 1 \\(ssh://.*\\) cannot connect to peer 0's data port at ${unreachable.replaceAll('.', '\\.')}:\\d+ \\(ENETUNREACH\\)`));
    expect(auto.routes[0]!.links).toEqual([
      { rank: 0, peer: 0, toPeer: 1, via: 'direct' },
      { rank: 1, peer: 1, toPeer: 0, via: 'ssh-relay' },
    ]);
    expect(auto.losses).toHaveLength(6);
    expect(auto.routes.at(-1)!.relayedBytes).toBeGreaterThan(MLP_PARAMETERS * 4 * auto.losses.length);
    // Left to connect directly, the node's trainer listens on its network.
    expect(auto.listening).toContainEqual(expect.objectContaining({ address: '0.0.0.0' }));
  });
});

describe('the run page of a run whose ring went over SSH relays, in a browser', () => {
  it('shows the relayed ring as a badge with the links and the bytes carried; a direct run shows none', async () => {
    const session = await startServeSession(join(work, 'data'));
    try {
      const { page, errors } = await openPage(session.browser, session.url);
      await page.locator(`[data-testid="run-item"][data-run-id="${runIds.relayed}"]`).click();
      const note = page.getByTestId('ring-route-note');
      await expect.poll(() => note.textContent(), { timeout: 20_000 }).toMatch(/ring over SSH \(relayed via this machine, slower\)/);
      expect(await note.textContent()).toMatch(/peer 0 → peer 1, peer 1 → peer 0 · [\d.]+ MiB carried/);
      await page.screenshot({ path: join(SHOTS, 'ring-over-ssh.png') });
      await page.locator(`[data-testid="run-item"][data-run-id="${runIds.direct}"]`).click();
      await expect.poll(() => page.getByTestId('run-backend').count(), { timeout: 20_000 }).toBe(1);
      expect(await note.count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

/** The IPv4 TCP sockets listening inside the namespace owned by `uid` (/proc/net/tcp as seen from there). */
function listeningOnNode(node: NetworkNamespace, uid: number): Listening[] {
  const [command, args] = node.exec(['cat', '/proc/net/tcp']);
  const table = execFileSync(command, args, { encoding: 'utf8' });
  return table
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && Number(f[7]) === uid)
    .map((f) => {
      const [hex, port] = f[1]!.split(':');
      const address = Buffer.from(hex!, 'hex').reverse().join('.');
      return { address, port: parseInt(port!, 16) };
    });
}
