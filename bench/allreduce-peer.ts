import { connect, createServer, type Socket } from 'node:net';
import { PeerCommand, type PeerEvent } from '../shared/allreduce-peer-protocol.js';
import { DataPort } from '../trainer/distributed/data-port.js';
import { PeerLostError } from '../trainer/distributed/peer-lost-error.js';
import { Ring } from '../trainer/distributed/ring-allreduce.js';
import { RingThread } from '../trainer/distributed/ring-thread.js';

/**
 * One ring rank in its own process, driven over IPC by the all-reduce bench and the peer-loss
 * tests: a Ring on the main thread, or (`thread`) one on a worker thread as trainers have it.
 */
let port: DataPort | null = null;
let thread: RingThread | null = null;
let allReduceSum: ((data: Float32Array) => Promise<void>) | null = null;
let rank = 0;
let worldSize = 0;

const send = (event: PeerEvent) => process.send!(event);

function failed(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  send({
    type: 'failed',
    name: e.name,
    message: e.message,
    lostRank: e instanceof PeerLostError ? e.rank : null,
    reason: e instanceof PeerLostError ? e.reason : null,
  });
}

async function reduce(elements: number, warmup: number, iterations: number, shared: boolean): Promise<void> {
  const data = (shared ? new Float32Array(new SharedArrayBuffer(elements * 4)) : new Float32Array(elements)).fill(rank + 1);
  const n = worldSize;
  const ms: number[] = [];
  let correct = true;
  let cpu = process.cpuUsage();
  for (let i = 0; i < warmup + iterations; i++) {
    if (i === warmup) cpu = process.cpuUsage();
    const start = performance.now();
    await allReduceSum!(data);
    const took = performance.now() - start;
    if (i === 0) correct = data.every((v) => v === (n * (n + 1)) / 2);
    if (i >= warmup) ms.push(took);
    send({ type: 'iteration', index: i, ms: took });
  }
  const used = process.cpuUsage(cpu);
  send({ type: 'reduced', ms, correct, cpuUserMs: used.user / 1000, cpuSystemMs: used.system / 1000 });
}

async function reduceBatch(lengths: number[], blockMs: number, shared: boolean): Promise<void> {
  const n = worldSize;
  const arrays = lengths.map((length, j) => {
    const data = shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
    for (let i = 0; i < length; i++) data[i] = (rank + 1) * (j + 1) + (i % 7);
    return data;
  });
  const start = performance.now();
  const settled = Promise.allSettled(arrays.map((data) => allReduceSum!(data)));
  if (blockMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs);
  const results = await settled;
  const ms = performance.now() - start;
  const expected = (j: number, i: number) => ((j + 1) * n * (n + 1)) / 2 + n * (i % 7);
  send({
    type: 'batch',
    ms,
    outcomes: results.map((result, j) =>
      result.status === 'fulfilled'
        ? { ok: true, correct: arrays[j]!.every((v, i) => v === expected(j, i)) }
        : {
            ok: false,
            name: (result.reason as Error).name,
            message: (result.reason as Error).message,
            lostRank: result.reason instanceof PeerLostError ? result.reason.rank : null,
          },
    ),
  });
}

function serve(bindHost: string, bytes: number, chunkBytes: number, iterations: number): void {
  const payload = Buffer.alloc(chunkBytes, 7);
  const server = createServer({ noDelay: true }, async (socket) => {
    server.close();
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const acked = new Promise<void>((resolve) => socket.once('data', () => resolve()));
      const start = performance.now();
      for (let sent = 0; sent < bytes; sent += chunkBytes) socket.write(payload.subarray(0, Math.min(chunkBytes, bytes - sent)));
      await acked;
      ms.push(performance.now() - start);
    }
    socket.destroy();
    send({ type: 'streamed', ms });
  });
  server.listen({ host: bindHost, port: 0 }, () => {
    const address = server.address();
    if (address && typeof address !== 'string') send({ type: 'stream-port', port: address.port });
  });
}

function receive(host: string, port: number, bytes: number, inPlace: boolean): void {
  let received = 0;
  const count = (n: number) => {
    received += n;
    if (received >= bytes) {
      received -= bytes;
      socket.write(Buffer.from([1]));
    }
  };
  const into = Buffer.alloc(4 << 20);
  const socket: Socket = inPlace
    ? connect({ host, port, noDelay: true, onread: { buffer: into, callback: (n: number) => (count(n), true) } })
    : connect({ host, port, noDelay: true }).on('data', (chunk: Buffer) => count(chunk.length));
  socket.on('error', () => {});
}

async function handle(command: PeerCommand): Promise<void> {
  switch (command.type) {
    case 'open': {
      const options = { bindHost: command.bindHost, secret: Buffer.from(command.secret, 'hex'), runId: command.runId };
      if (command.thread) thread = await RingThread.open(options);
      else port = await DataPort.open(options);
      send({ type: 'opened', port: (thread ?? port)!.port });
      return;
    }
    case 'form': {
      const { membership, chunkBytes } = command;
      rank = membership.rank;
      worldSize = membership.endpoints.length;
      if (thread) {
        const onThread = thread;
        await onThread.form({ ...membership, chunkBytes });
        allReduceSum = (data) => onThread.allReduceSum(data);
      } else {
        const ring = await Ring.form({ ...membership, dataPort: port!, chunkBytes });
        allReduceSum = (data) => ring.allReduceSum(data);
      }
      send({ type: 'formed' });
      return;
    }
    case 'reduce':
      return reduce(command.elements, command.warmup, command.iterations, command.shared ?? false);
    case 'reduce-batch':
      return reduceBatch(command.lengths, command.blockMs, command.shared);
    case 'stream-serve':
      return serve(command.bindHost, command.bytes, command.chunkBytes, command.iterations);
    case 'stream-receive':
      return receive(command.endpoint.host, command.endpoint.port, command.bytes, command.inPlace);
  }
}

process.on('message', (message) => {
  const parsed = PeerCommand.safeParse(message);
  if (!parsed.success) {
    failed(new Error(`bad command: ${parsed.error.message}`));
    return;
  }
  handle(parsed.data).catch(failed);
});
process.on('disconnect', () => process.exit(0));
