import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { DataPort } from '../../trainer/distributed/data-port.js';
import { encodeFrame, FRAME_HEADER_BYTES, FrameKind, RingProtocolError } from '../../trainer/distributed/frame-codec.js';
import { PeerLostError } from '../../trainer/distributed/peer-lost-error.js';
import { Ring } from '../../trainer/distributed/ring-allreduce.js';
import { authPayload, HELLO_BYTES, newNonce } from '../../trainer/distributed/ring-handshake.js';
import { connectUpstream } from '../../trainer/distributed/upstream-link.js';

const HOST = '127.0.0.1';
const RUN_ID = 'run-7';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openPorts(n: number, secret = randomBytes(32), options: { handshakeTimeoutMs?: number } = {}): Promise<DataPort[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => DataPort.open({ bindHost: HOST, secret, runId: RUN_ID, ...options })));
  cleanups.push(() => Promise.all(ports.map((p) => p.close())));
  return ports;
}

async function formRing(n: number, options: { timeoutMs?: number; chunkBytes?: number } = {}): Promise<Ring[]> {
  const ports = await openPorts(n);
  const endpoints = ports.map((p) => ({ host: HOST, port: p.port }));
  const rings = await Promise.all(ports.map((dataPort, rank) => Ring.form({ rank, endpoints, dataPort, timeoutMs: 5_000, ...options })));
  cleanups.push(() => rings.forEach((r) => r.close()));
  return rings;
}

/**
 * The documented order (ring-schedule.ts): segment j = [⌊jL/N⌋, ⌊(j+1)L/N⌋) is summed in float32
 * starting at rank j and going round the ring.
 */
function ringOrderSum(inputs: Float32Array[]): Float32Array {
  const n = inputs.length;
  const length = inputs[0]!.length;
  const out = new Float32Array(length);
  for (let j = 0; j < n; j++) {
    for (let i = Math.floor((j * length) / n); i < Math.floor(((j + 1) * length) / n); i++) {
      let sum = inputs[j]![i]!;
      for (let k = 1; k < n; k++) sum = Math.fround(sum + inputs[(j + k) % n]![i]!);
      out[i] = sum;
    }
  }
  return out;
}

/** Index of the first element whose bits differ (any NaN matches any NaN), or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const ab = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (ab[i] !== bb[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function randomInputs(n: number, length: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => (random() - 0.5) * 2 ** Math.floor(random() * 16 - 8)));
}

async function reduceAll(rings: Ring[], inputs: Float32Array[]): Promise<Float32Array[]> {
  const data = inputs.map((x) => x.slice());
  await Promise.all(rings.map((ring, rank) => ring.allReduceSum(data[rank]!)));
  return data;
}

function expectRingSum(results: Float32Array[], inputs: Float32Array[]): void {
  const expected = ringOrderSum(inputs);
  for (const result of results) expect(firstBitDifference(result, expected)).toBe(-1);
}

describe.each([2, 3, 4])('ring all-reduce over loopback, %i ranks', (n) => {
  it.each([0, 1, n - 1, 7, 1001, 262_144])('equals the float32 sum in ring order, bit for bit on every rank, for %i elements', async (length) => {
    const rings = await formRing(n, { chunkBytes: 16 * 1024 });
    const inputs = randomInputs(n, length, length + n);
    const results = await reduceAll(rings, inputs);
    expectRingSum(results, inputs);
    for (let i = 0; i < length; i++) {
      let exact = 0;
      let magnitude = 0;
      for (const input of inputs) {
        exact += input[i]!;
        magnitude += Math.abs(input[i]!);
      }
      if (Math.abs(results[0]![i]! - exact) > 1e-6 * magnitude) throw new Error(`element ${i}: ${results[0]![i]} vs ${exact}`);
    }
  });

  it('propagates NaN and ±Inf like a plain sum', async () => {
    const rings = await formRing(n);
    const inputs = Array.from({ length: n }, () => new Float32Array(11).fill(1));
    inputs[n - 1]![0] = NaN;
    inputs[0]![3] = Infinity;
    inputs[0]![5] = Infinity;
    inputs[1]![5] = -Infinity;
    inputs[1]![8] = -Infinity;
    inputs[0]![10] = 3e38;
    inputs[1]![10] = 3e38;
    const results = await reduceAll(rings, inputs);
    expectRingSum(results, inputs);
    for (const result of results) {
      expect([result[0], result[3], result[5], result[8], result[10], result[1]]).toEqual([NaN, Infinity, NaN, -Infinity, Infinity, n]);
    }
  });

  it('reuses the ring for calls the ranks start at their own pace', async () => {
    const rings = await formRing(n, { chunkBytes: 4096 });
    const rounds = [5000, 5000, 17, 5000].map((length, round) => randomInputs(n, length, 100 + round));
    const results = await Promise.all(
      rings.map(async (ring, rank) => {
        const out: Float32Array[] = [];
        for (const inputs of rounds) {
          if (rank === 0) await new Promise((r) => setTimeout(r, 20));
          const data = inputs[rank]!.slice();
          await ring.allReduceSum(data);
          out.push(data);
        }
        return out;
      }),
    );
    rounds.forEach((inputs, round) => expectRingSum(results.map((r) => r[round]!), inputs));
  });
});

describe('ring all-reduce, large buffers', () => {
  it.each([
    [2, 1 << 20],
    [3, 1 << 20],
    [4, 1 << 20],
    [2, 64 << 20],
  ])('%i ranks sum %i bytes exactly', async (n, bytes) => {
    const rings = await formRing(n);
    const length = bytes / 4;
    const inputs = Array.from({ length: n }, (_, rank) => {
      const x = new Float32Array(length);
      for (let i = 0; i < length; i++) x[i] = ((i * 2654435761 + rank * 40503) % 4093) / 64 - 32;
      return x;
    });
    const results = await reduceAll(rings, inputs);
    expectRingSum(results, inputs);
  });
});

describe('ring edge cases', () => {
  it('is a no-op for one rank', async () => {
    const [port] = await openPorts(1);
    const ring = await Ring.form({ rank: 0, endpoints: [{ host: HOST, port: port!.port }], dataPort: port!, timeoutMs: 1000 });
    const data = Float32Array.of(1.5, NaN, -2);
    await ring.allReduceSum(data);
    expect([...data]).toEqual([1.5, NaN, -2]);
  });

  it('refuses a second call while one is running, and a buffer that is not float32', async () => {
    const rings = await formRing(2);
    const first = rings[0]!.allReduceSum(new Float32Array(1000));
    await expect(rings[0]!.allReduceSum(new Float32Array(1000))).rejects.toThrow(/already running/);
    await expect(rings[0]!.allReduceSum(new Float64Array(4) as unknown as Float32Array)).rejects.toThrow(/Float32Array/);
    await Promise.all([first, rings[1]!.allReduceSum(new Float32Array(1000))]);
  });

  it('fails both ranks, without hanging, when they pass different lengths', async () => {
    const rings = await formRing(2, { timeoutMs: 2000 });
    const errors = await Promise.all(
      [100, 140].map((length, rank) => rings[rank]!.allReduceSum(new Float32Array(length)).then(() => null, (e: unknown) => e)),
    );
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect(errors.some((e) => e instanceof RingProtocolError && /do all ranks pass the same length/.test(e.message))).toBe(true);
  });

  it('names the rank that never joins within the timeout', async () => {
    const ports = await openPorts(3);
    const endpoints = ports.map((p) => ({ host: HOST, port: p.port }));
    await ports[2]!.close();
    const started = Date.now();
    const forming = [0, 1].map((rank) => Ring.form({ rank, endpoints, dataPort: ports[rank]!, timeoutMs: 400 }));
    const [zero, one] = await Promise.allSettled(forming);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(zero).toMatchObject({ status: 'rejected', reason: { name: 'PeerLostError', rank: 2, reason: 'unreachable' } });
    expect(one).toMatchObject({ status: 'rejected', reason: { name: 'PeerLostError', rank: 2, reason: 'unreachable' } });
    expect((zero as PromiseRejectedResult).reason.message).toMatch(/^rank 2 at 127\.0\.0\.1:\d+ did not answer within 400 ms/);
    expect((one as PromiseRejectedResult).reason.message).toBe('rank 2 did not connect within 400 ms');
  });

  it('rejects every survivor with PeerLostError naming a rank whose links close mid all-reduce', async () => {
    const rings = await formRing(4, { chunkBytes: 4096, timeoutMs: 3000 });
    const data = rings.map(() => new Float32Array(4 << 20));
    const survivors = [0, 1, 3].map((rank) => rings[rank]!.allReduceSum(data[rank]!).then(() => null, (e: unknown) => e));
    const dying = rings[2]!.allReduceSum(data[2]!).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
    rings[2]!.close();
    await dying;
    for (const error of await Promise.all(survivors)) {
      expect(error).toBeInstanceOf(PeerLostError);
      expect(error).toMatchObject({ rank: 2 });
    }
    await expect(rings[0]!.allReduceSum(data[0]!)).rejects.toBeInstanceOf(PeerLostError);
  });

  it('names a rank that never starts the all-reduce once the timeout has passed', async () => {
    const rings = await formRing(3, { timeoutMs: 300 });
    const started = Date.now();
    const errors = await Promise.all([0, 1].map((rank) => rings[rank]!.allReduceSum(new Float32Array(30)).then(() => null, (e: unknown) => e)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1500);
    for (const error of errors) expect(error).toMatchObject({ name: 'PeerLostError', rank: 2 });
  });
});

/** A raw client that speaks the handshake by hand, to play a stranger. */
function rawClient(port: number) {
  const socket = connect({ host: HOST, port });
  const received: Buffer[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  const hello = async (): Promise<Buffer> => {
    for (;;) {
      const all = Buffer.concat(received);
      if (all.length >= FRAME_HEADER_BYTES + HELLO_BYTES) return all.subarray(FRAME_HEADER_BYTES + 1, FRAME_HEADER_BYTES + HELLO_BYTES);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { socket, received, closed, hello };
}

/** A TCP proxy that records every byte in both directions. */
async function recordingProxy(target: number): Promise<{ port: number; bytes: Buffer[]; server: Server }> {
  const bytes: Buffer[] = [];
  const server = createServer((inbound: Socket) => {
    const outbound = connect({ host: HOST, port: target });
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        bytes.push(Buffer.from(chunk));
        to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return { port: address.port, bytes, server };
}

describe('data port security', () => {
  /** Forms a 2-rank ring while `attack` runs against rank 0's port, then checks the ring still reduces. */
  async function formUnder(attack: (port: DataPort, secret: Buffer) => Promise<void>) {
    const secret = randomBytes(32);
    const ports = await openPorts(2, secret);
    const endpoints = ports.map((p) => ({ host: HOST, port: p.port }));
    const forming = Promise.all(ports.map((dataPort, rank) => Ring.form({ rank, endpoints, dataPort, timeoutMs: 5000 })));
    await attack(ports[0]!, secret);
    const rings = await forming;
    cleanups.push(() => rings.forEach((r) => r.close()));
    const data = [Float32Array.of(1, 2, 3), Float32Array.of(10, 20, 30)];
    await Promise.all(rings.map((ring, rank) => ring.allReduceSum(data[rank]!)));
    expect([...data[0]!, ...data[1]!]).toEqual([11, 22, 33, 11, 22, 33]);
  }

  it('closes a connection that answers with the wrong secret, without a word, and the ring forms anyway', async () => {
    await formUnder(async (port) => {
      const client = rawClient(port.port);
      const nonce = await client.hello();
      const before = Buffer.concat(client.received).length;
      client.socket.write(encodeFrame(FrameKind.auth, authPayload({ secret: randomBytes(32), runId: RUN_ID }, nonce, { rank: 1, generation: 0 }, newNonce())));
      await client.closed;
      expect(Buffer.concat(client.received).length).toBe(before);
    });
  });

  it('closes a replayed handshake: a recorded answer is useless against a fresh nonce', async () => {
    await formUnder(async (port, secret) => {
      const first = rawClient(port.port);
      const auth = encodeFrame(FrameKind.auth, authPayload({ secret, runId: RUN_ID }, await first.hello(), { rank: 1, generation: 7 }, newNonce()));
      first.socket.write(auth);
      await new Promise((r) => setTimeout(r, 50));
      expect(Buffer.concat(first.received).length).toBe(FRAME_HEADER_BYTES * 2 + HELLO_BYTES + 32);
      first.socket.destroy();
      const replay = rawClient(port.port);
      await replay.hello();
      replay.socket.write(auth);
      await replay.closed;
      expect(Buffer.concat(replay.received).length).toBe(FRAME_HEADER_BYTES + HELLO_BYTES);
    });
  });

  it('closes a connection whose frame header claims more than the agreed maximum, at once', async () => {
    await formUnder(async (port) => {
      const client = rawClient(port.port);
      await client.hello();
      const header = Buffer.alloc(FRAME_HEADER_BYTES);
      header.writeUInt32BE(0xfffffff0, 0);
      header.writeUInt8(FrameKind.auth, 4);
      const sentAt = Date.now();
      client.socket.write(header);
      expect((await client.closed) - sentAt).toBeLessThan(1000);
    });
  });

  it('closes a connection that does not answer within the handshake timeout', async () => {
    const [port] = await openPorts(1, randomBytes(32), { handshakeTimeoutMs: 200 });
    const client = rawClient(port!.port);
    const openedAt = Date.now();
    await client.hello();
    const after = (await client.closed) - openedAt;
    expect(after).toBeGreaterThanOrEqual(190);
    expect(after).toBeLessThan(2000);
  });

  it('refuses a port that cannot prove it holds the secret', async () => {
    const impostor = createServer((socket) => {
      socket.write(encodeFrame(FrameKind.hello, Buffer.concat([Buffer.from([1]), newNonce()])));
      socket.once('data', () => socket.write(encodeFrame(FrameKind.welcome, randomBytes(32))));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => impostor.listen(0, HOST, resolve));
    cleanups.push(() => new Promise((resolve) => impostor.close(resolve)));
    const address = impostor.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const linking = connectUpstream({
      endpoint: { host: HOST, port: address.port },
      peerRank: 0,
      credentials: { secret: randomBytes(32), runId: RUN_ID },
      self: { rank: 1, generation: 0 },
      timeoutMs: 2000,
    });
    await expect(linking).rejects.toBeInstanceOf(RingProtocolError);
    await expect(linking).rejects.toThrow(/did not prove it holds the run secret/);
  });

  it('never puts the secret on the wire', async () => {
    const secret = randomBytes(32);
    const ports = await openPorts(2, secret);
    const proxy = await recordingProxy(ports[0]!.port);
    const endpoints = [
      { host: HOST, port: proxy.port },
      { host: HOST, port: ports[1]!.port },
    ];
    const rings = await Promise.all(ports.map((dataPort, rank) => Ring.form({ rank, endpoints, dataPort, timeoutMs: 5000 })));
    cleanups.push(() => rings.forEach((r) => r.close()));
    const data = rings.map(() => Float32Array.from({ length: 4096 }, (_, i) => i));
    await Promise.all(rings.map((ring, rank) => ring.allReduceSum(data[rank]!)));
    const wire = Buffer.concat(proxy.bytes);
    expect(wire.length).toBeGreaterThan(4096 * 2);
    expect(wire.includes(secret)).toBe(false);
    expect(wire.includes(Buffer.from(secret.toString('hex')))).toBe(false);
    expect(wire.includes(Buffer.from(secret.toString('base64')))).toBe(false);
    for (let i = 0; i + 8 <= secret.length; i++) expect(wire.includes(secret.subarray(i, i + 8))).toBe(false);
  });

  it('refuses a secret shorter than 16 bytes', async () => {
    await expect(DataPort.open({ bindHost: HOST, secret: randomBytes(8), runId: RUN_ID })).rejects.toThrow(/secret: must be a Buffer of at least 16 bytes/);
  });
});
