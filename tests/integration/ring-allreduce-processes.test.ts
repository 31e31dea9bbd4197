import { afterEach, describe, expect, it } from 'vitest';
import { startRingProcesses, type PeerProcess } from '../../bench/allreduce-peers.js';

/** Real ranks in real processes (the built dist/bench/allreduce-peer.js: `npm run build:node` first). */
let peers: PeerProcess[] = [];
afterEach(async () => {
  await Promise.all(peers.map((peer) => peer.kill()));
  peers = [];
});

const TIMEOUT_MS = 3_000;

describe('a ring of three processes', () => {
  it('sums a 16 MB buffer exactly on every rank', async () => {
    peers = await startRingProcesses({ worldSize: 3, chunkBytes: 256 * 1024, timeoutMs: TIMEOUT_MS });
    for (const peer of peers) peer.send({ type: 'reduce', elements: 4 << 20, warmup: 0, iterations: 2 });
    const results = await Promise.all(peers.map((peer) => peer.next('reduced')));
    expect(results.map((r) => r.correct)).toEqual([true, true, true]);
  });

  it('rejects on the survivors with PeerLostError naming a rank killed mid all-reduce, within the timeout', async () => {
    peers = await startRingProcesses({ worldSize: 3, chunkBytes: 256 * 1024, timeoutMs: TIMEOUT_MS });
    for (const peer of peers) peer.send({ type: 'reduce', elements: 16 << 20, warmup: 0, iterations: 10_000 });
    await Promise.all(peers.map((peer) => peer.next('iteration')));
    const killedAt = Date.now();
    await peers[1]!.kill();
    const losses = await Promise.all(
      [peers[0]!, peers[2]!].map(async (peer) => ({ ...(await peer.next('failed', TIMEOUT_MS + 2_000)), after: Date.now() - killedAt })),
    );
    for (const loss of losses) {
      expect(loss).toMatchObject({ name: 'PeerLostError', lostRank: 1 });
      expect(loss.after).toBeLessThan(TIMEOUT_MS + 2_000);
    }
  });

  it('names a rank that stops answering (SIGSTOP) once it has been silent for the timeout, not before', async () => {
    peers = await startRingProcesses({ worldSize: 3, chunkBytes: 256 * 1024, timeoutMs: TIMEOUT_MS });
    for (const peer of peers) peer.send({ type: 'reduce', elements: 16 << 20, warmup: 0, iterations: 10_000 });
    await Promise.all(peers.map((peer) => peer.next('iteration')));
    const stoppedAt = Date.now();
    peers[1]!.child.kill('SIGSTOP');
    const losses = await Promise.all(
      [peers[0]!, peers[2]!].map(async (peer) => ({ ...(await peer.next('failed', TIMEOUT_MS + 2_000)), after: Date.now() - stoppedAt })),
    );
    for (const loss of losses) {
      expect(loss).toMatchObject({ name: 'PeerLostError', lostRank: 1 });
      expect(loss.after).toBeGreaterThanOrEqual(TIMEOUT_MS - 500);
      expect(loss.after).toBeLessThan(TIMEOUT_MS + 2_000);
    }
  });
});
