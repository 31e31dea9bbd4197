import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RingEndpoint } from '../../shared/ring-membership.js';
import { joinPeers, PEER_TIMEOUT_MS, type ElasticPeers } from '../../trainer/distributed/join-peers.js';
import { RingCommands } from '../../trainer/distributed/ring-commands.js';
import { RingReformed } from '../../trainer/distributed/ring-reformed.js';

/**
 * Three data-parallel peers in this process, each with its ring on a worker thread (the built
 * dist/ worker: `npm run build:node` first), as trainers join them.
 */
const peers: ElasticPeers[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

describe('calls queued on a ring that loses a peer', () => {
  it('each end in RingReformed after one re-forming, onto the ring the host sends next', async () => {
    const n = 3;
    const secret = randomBytes(32).toString('base64');
    const ports: number[] = [];
    const rings = Array.from({ length: n }, () => new RingCommands());
    const broken = Array.from({ length: n }, () => [] as number[]);
    const synced = Array.from({ length: n }, () => [] as number[]);
    const endpoints = (ranks: number[]): RingEndpoint[] => ranks.map((rank) => ({ host: '127.0.0.1', port: ports[rank]! }));
    peers.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, rank) =>
          joinPeers({ rank, worldSize: n, secret, bindHost: '127.0.0.1' }, 'run-queue', (port) => (ports[rank] = port), rings[rank]!, {
            broken: (error) => broken[rank]!.push(error.rank),
            awaiting: () => {},
            synced: (generation) => synced[rank]!.push(generation),
          }),
        ),
      )),
    );
    rings.forEach((r) => r.push({ type: 'ring', endpoints: endpoints([0, 1, 2]), generation: 0 }));
    await Promise.all(peers.map((p) => p.level()));

    // Rank 2 falls silent; the others queue three reductions each, then the host sends the survivors a ring of two.
    const survivors = [0, 1];
    const outcomes = survivors.map((rank) => Promise.allSettled([1, 2, 3].map((k) => peers[rank]!.allReduceSum(new Float32Array(k * 100_000).fill(1)))));
    rings.slice(0, 2).forEach((r) => r.push({ type: 'ring', endpoints: endpoints(survivors), generation: 1 }));
    const settled = await Promise.all(outcomes);

    for (const rank of survivors) {
      expect(settled[rank]!.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const o of settled[rank]!) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(RingReformed);
      expect(broken[rank]).toEqual([2]);
      expect(synced[rank]).toEqual([0, 1]);
    }
    // The new ring reduces: the survivors sum on it.
    const sums = survivors.map((rank) => new Float32Array(1_000).fill(rank + 1));
    await Promise.all(survivors.map((rank) => peers[rank]!.allReduceSum(sums[rank]!)));
    for (const sum of sums) expect(sum.every((v) => v === 3)).toBe(true);
  }, 10_000 + 3 * PEER_TIMEOUT_MS);
});
