import { connect, createServer, type Socket } from 'node:net';
import { PeerCommand, type PeerEvent } from '../shared/allreduce-peer-protocol.js';
import { DataPort } from '../trainer/distributed/data-port.js';
import { PeerLostError } from '../trainer/distributed/peer-lost-error.js';
import { Ring } from '../trainer/distributed/ring-allreduce.js';

/** One ring rank in its own process, driven over IPC by the all-reduce bench and the peer-loss test. */
let port: DataPort | null = null;
let ring: Ring | null = null;
let rank = 0;

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

async function reduce(elements: number, warmup: number, iterations: number): Promise<void> {
  const data = new Float32Array(elements).fill(rank + 1);
  const n = ring!.worldSize;
  const ms: number[] = [];
  let correct = true;
  let cpu = process.cpuUsage();
  for (let i = 0; i < warmup + iterations; i++) {
    if (i === warmup) cpu = process.cpuUsage();
    const start = performance.now();
    await ring!.allReduceSum(data);
    const took = performance.now() - start;
    if (i === 0) correct = data.every((v) => v === (n * (n + 1)) / 2);
    if (i >= warmup) ms.push(took);
    send({ type: 'iteration', index: i, ms: took });
  }
  const used = process.cpuUsage(cpu);
  send({ type: 'reduced', ms, correct, cpuUserMs: used.user / 1000, cpuSystemMs: used.system / 1000 });
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
    case 'open':
      port = await DataPort.open({ bindHost: command.bindHost, secret: Buffer.from(command.secret, 'hex'), runId: command.runId });
      send({ type: 'opened', port: port.port });
      return;
    case 'form': {
      const { membership, chunkBytes } = command;
      rank = membership.rank;
      ring = await Ring.form({ ...membership, dataPort: port!, chunkBytes });
      send({ type: 'formed' });
      return;
    }
    case 'reduce':
      return reduce(command.elements, command.warmup, command.iterations);
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
