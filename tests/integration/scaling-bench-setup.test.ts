import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startNamespaceRing, type NamespacePeer } from '../../bench/namespace-ring.js';
import { SwitchedNamespaces } from '../../bench/switched-namespaces.js';

// The scaling bench's simulated cluster (bench/scaling-efficiency.ts) is only worth its figures if
// the nodes really talk over the shaped veths: this builds two of its nodes and checks that.
// Subnets 10.214.201–202 keep clear of the bench's own 10.214.1–4.

const RATE = 200_000_000;
const ELEMENTS = 1 << 20;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const json = (command: string, args: string[]) => JSON.parse(execFileSync(command, args, { encoding: 'utf8' }) || '[]');

describe('the scaling bench\'s simulated nodes', () => {
  it('talk only over their tbf-shaped veths, sum correctly in a ring, and leave nothing behind', async () => {
    const cluster = SwitchedNamespaces.create({ nodes: 2, firstSubnet: 201, shape: { rateBitsPerSec: RATE, burstBytes: 98_304, latencyMs: 10 } });
    cleanups.push(() => cluster.remove());
    const [a, b] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]];

    for (const node of cluster.nodes) {
      const links = json('ip', ['-n', node.namespace, '-j', 'link', 'show']).map((l: { ifname: string }) => l.ifname);
      expect(links.sort()).toEqual(['lo', node.nodeLink].sort());
      for (const [where, dev] of [[['-n', node.namespace], node.nodeLink], [[], node.hostLink]] as const) {
        const [qdisc] = json('tc', [...where, '-j', 'qdisc', 'show', 'dev', dev]);
        expect(qdisc, `the qdisc on ${dev}`).toMatchObject({ kind: 'tbf', root: true, options: { rate: RATE / 8 } });
      }
    }
    const [route] = json('ip', ['-n', a.namespace, '-j', 'route', 'get', b.nodeAddress]);
    expect(route).toMatchObject({ dst: b.nodeAddress, gateway: a.hostAddress, dev: a.nodeLink });

    const peers: NamespacePeer[] = await startNamespaceRing(cluster, 512 * 1024, 10_000);
    cleanups.push(() => Promise.all(peers.map((p) => p.kill())).then(() => {}));
    peers.forEach((peer) => peer.send({ type: 'steps', elements: ELEMENTS, computeMs: 0, warmup: 0, steps: 2 }));
    const results = await Promise.all(peers.map((peer) => peer.next('stepped', 20_000)));
    // Each rank sends (N−1)/N of the buffer twice (reduce-scatter, then all-gather): 4 MiB at 25 MB/s is 168 ms,
    // less what a full bucket lets through at once on each of the path's two tbfs. Unshaped, it takes a few ms.
    // The bound holds for the rank that started its step first: its peer's bytes reach it no faster than that.
    // A rank that started later finds some of them already sent, so its own clock can read less.
    const boundMs = (((2 * (2 - 1)) / 2) * ELEMENTS * 4 - 2 * 98_304) / (RATE / 8) * 1000;
    for (const { correct } of results) expect(correct).toBe(true);
    results[0]!.steps.forEach((_, i) => {
      expect(Math.max(...results.map((r) => r.steps[i]!.exchangeMs))).toBeGreaterThan(0.85 * boundMs);
    });
    for (const node of cluster.nodes) {
      const [qdisc] = json('tc', ['-n', node.namespace, '-s', '-j', 'qdisc', 'show', 'dev', node.nodeLink]);
      expect(qdisc.bytes, `bytes sent through ${node.namespace}'s tbf`).toBeGreaterThan(2 * ELEMENTS * 4);
    }
    await Promise.all(peers.map((p) => p.kill()));

    cluster.remove();
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    const addresses = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    for (const node of cluster.nodes) {
      expect(namespaces).not.toContain(node.namespace);
      expect(links).not.toContain(node.hostLink);
      expect(addresses).not.toContain(node.hostAddress);
    }
  });
});
