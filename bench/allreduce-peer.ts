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
  for (let i = 0; i < warmup + iterations; i++) {
    const start = performance.now();
    await ring!.allReduceSum(data);
    const took = performance.now() - start;
    if (i === 0) correct = data.every((v) => v === (n * (n + 1)) / 2);
    if (i >= warmup) ms.push(took);
    send({ type: 'iteration', index: i, ms: took });
  }
  send({ type: 'reduced', ms, correct });
}

function listen(bindHost: string, bytes: number): void {
  const server = createServer({ noDelay: true }, (socket) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        received -= bytes;
        socket.write(Buffer.from([1]));
      }
    });
  });
  server.listen({ host: bindHost, port: 0 }, () => {
    const address = server.address();
    if (address && typeof address !== 'string') send({ type: 'stream-port', port: address.port });
  });
}

async function stream(host: string, portNumber: number, bytes: number, chunkBytes: number, iterations: number): Promise<void> {
  const socket: Socket = connect({ host, port: portNumber, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const payload = Buffer.alloc(chunkBytes, 7);
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
    case 'stream-listen':
      return listen(command.bindHost, command.bytes);
    case 'stream-send':
      return stream(command.endpoint.host, command.endpoint.port, command.bytes, command.chunkBytes, command.iterations);
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
