import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerProcess, startRingProcesses } from '../../bench/allreduce-peers.js';
import { PeerLostError } from '../../trainer/distributed/peer-lost-error.js';
import { RingThread, ringThreadWorkerUrl } from '../../trainer/distributed/ring-thread.js';

/**
 * The ring on a worker thread (trainer/distributed/ring-thread.ts), with real threads and real
 * processes; the worker is the built dist/ copy (`npm run build:node` first).
 */
const HOST = '127.0.0.1';
const MB = 1 << 20;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openThreads(n: number, secret = randomBytes(32), runId = 'run-thread'): Promise<RingThread[]> {
  const threads = await Promise.all(Array.from({ length: n }, () => RingThread.open({ bindHost: HOST, secret, runId })));
  cleanups.push(() => Promise.all(threads.map((thread) => thread.close())));
  return threads;
}

async function formThreads(n: number): Promise<RingThread[]> {
  const threads = await openThreads(n);
  const endpoints = threads.map((thread) => ({ host: HOST, port: thread.port }));
  await Promise.all(threads.map((thread, rank) => thread.form({ rank, endpoints, timeoutMs: 5_000, generation: 0, chunkBytes: 64 * 1024 })));
  return threads;
}

/** Call j on rank r holds (r + 1)(j + 1) + i mod 7 at element i: small integers, so the sum is exact in any order. */
function fill(data: Float32Array, rank: number, call: number): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = (rank + 1) * (call + 1) + (i % 7);
  return data;
}

function firstWrongSum(data: Float32Array, ranks: number, call: number): number {
  return data.findIndex((v, i) => v !== ((call + 1) * ranks * (ranks + 1)) / 2 + ranks * (i % 7));
}

const floats = (length: number, shared: boolean) => (shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length));

describe('the ring on a worker thread', () => {
  it('keeps reducing while both ranks block their main thread', async () => {
    const peers = await startRingProcesses({ worldSize: 2, chunkBytes: 512 * 1024, timeoutMs: 10_000, thread: true });
    cleanups.push(() => Promise.all(peers.map((peer) => peer.kill())));
    // The slower rank's time is the reduction's; the first batch warms the links up.
    const batch = async (lengths: number[], blockMs: number) => {
      for (const peer of peers) peer.send({ type: 'reduce-batch', lengths, blockMs, shared: true });
      const results = await Promise.all(peers.map((peer) => peer.next('batch')));
      for (const { outcomes } of results) expect(outcomes.every((o) => o.ok && o.correct)).toBe(true);
      return Math.max(...results.map((r) => r.ms));
    };
    const sixteenMb = (count: number) => Array<number>(count).fill((16 * MB) / 4);
    await batch(sixteenMb(1), 0);
    const oneMs = await batch(sixteenMb(1), 0);
    // Enough 16 MB reductions, queued at once, to take about as long as the block, so overlap and none differ clearly.
    const BLOCK_MS = 400;
    const count = Math.min(8, Math.max(1, Math.round(BLOCK_MS / oneMs)));
    const unblockedMs = await batch(sixteenMb(count), 0);
    const blockedMs = await batch(sixteenMb(count), BLOCK_MS);
    expect(blockedMs).toBeGreaterThanOrEqual(BLOCK_MS);
    expect(blockedMs).toBeLessThan(BLOCK_MS + unblockedMs / 2);
  });

  it('runs reductions issued at once one after another in call order, with exact sums', async () => {
    const n = 3;
    const threads = await formThreads(n);
    const lengths = [1001, 1, 262_144, 7, 4 * MB, 0, 65_536];
    const order: number[][] = threads.map(() => []);
    const arrays = threads.map((_, rank) => lengths.map((length, call) => fill(floats(length, call % 2 === 0), rank, call)));
    await Promise.all(
      threads.flatMap((thread, rank) => arrays[rank]!.map((data, call) => thread.allReduceSum(data).then(() => order[rank]!.push(call)))),
    );
    for (let rank = 0; rank < n; rank++) {
      expect(order[rank]).toEqual(lengths.map((_, call) => call));
      arrays[rank]!.forEach((data, call) => expect(firstWrongSum(data, n, call)).toBe(-1));
    }
  });

  it('copies a plain array over and back: the sum lands in the caller’s view and nothing around it changes', async () => {
    const threads = await formThreads(2);
    const backing = threads.map((_, rank) => new Float32Array(10_000).fill(-(rank + 1)));
    const views = backing.map((whole, rank) => fill(whole.subarray(1_000, 9_000), rank, 0));
    await Promise.all(threads.map((thread, rank) => thread.allReduceSum(views[rank]!)));
    for (const [rank, whole] of backing.entries()) {
      expect(firstWrongSum(views[rank]!, 2, 0)).toBe(-1);
      expect([...whole.subarray(0, 1_000), ...whole.subarray(9_000)].every((v) => v === -(rank + 1))).toBe(true);
    }
  });

  it('rejects the reduction in flight and every one queued behind it with PeerLostError naming a rank killed mid-reduction', async () => {
    const secret = randomBytes(32);
    const [thread] = await openThreads(1, secret, 'run-kill');
    const peer = new PeerProcess();
    cleanups.push(() => peer.kill());
    peer.send({ type: 'open', runId: 'run-kill', secret: secret.toString('hex'), bindHost: HOST, thread: true });
    const endpoints = [
      { host: HOST, port: thread!.port },
      { host: HOST, port: (await peer.next('opened')).port },
    ];
    peer.send({ type: 'form', membership: { runId: 'run-kill', generation: 0, rank: 1, endpoints, timeoutMs: 3_000 }, chunkBytes: 512 * 1024 });
    await Promise.all([thread!.form({ rank: 0, endpoints, timeoutMs: 3_000, generation: 0, chunkBytes: 512 * 1024 }), peer.next('formed')]);

    // 64 MB reductions, long enough that the kill lands while one moves; reductions run one at a time, so one buffer serves all.
    const elements = (64 * MB) / 4;
    peer.send({ type: 'reduce', elements, warmup: 0, iterations: 10_000, shared: true });
    const data = floats(elements, true);
    // Settled at once: the queued calls reject while the test still waits on the peer.
    const settled = Promise.allSettled(Array.from({ length: 6 }, () => thread!.allReduceSum(data)));
    await peer.next('iteration');
    await peer.next('iteration');
    await peer.kill();
    const outcomes = await settled;

    expect(outcomes.slice(0, 2).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    expect(failures.length).toBeGreaterThanOrEqual(3);
    // The failures are the tail: nothing after the first one got through.
    expect(outcomes.slice(outcomes.length - failures.length).every((o) => o.status === 'rejected')).toBe(true);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(PeerLostError);
      expect(failure).toMatchObject({ rank: 1, message: failures[0]!.message });
    }
    await thread!.ended;
  });

  it('refuses a bad ring as Ring.form does, naming the field', async () => {
    const [thread] = await openThreads(1);
    await expect(thread!.form({ rank: 3, endpoints: [{ host: HOST, port: thread!.port }], timeoutMs: 1_000, generation: 0 })).rejects.toThrow(
      new RangeError('rank: must be an integer from 0 to 0'),
    );
  });

  it('loads the worker beside the compiled proxy, and from dist/ when run from the sources', () => {
    expect(ringThreadWorkerUrl('file:///opt/app/out/main/trainer.js').href).toBe('file:///opt/app/out/main/ring-thread-worker.js');
    expect(ringThreadWorkerUrl().pathname).toMatch(/\/dist\/trainer\/distributed\/ring-thread-worker\.js$/);
  });
});
