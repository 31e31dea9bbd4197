import { parentPort } from 'node:worker_threads';
import { DataPort } from './data-port.js';
import { RingProtocolError } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import { Ring } from './ring-allreduce.js';
import { RingThreadRequest, type RingThreadError, type RingThreadEvent } from './ring-thread-protocol.js';

/**
 * The worker thread of ring-thread.ts: owns the trainer's data port and its ring, so frames move
 * while TensorFlow.js kernels hold the main thread.
 */

/** A ring and the reductions queued on it: one after another in call order; after a failure, each rejects with it. */
interface QueuedRing {
  ring: Ring;
  tail: Promise<void>;
  failure: Error | null;
}

let dataPort: DataPort | null = null;
let current: QueuedRing | null = null;

const post = (event: RingThreadEvent) => parentPort!.postMessage(event);

function described(error: unknown): RingThreadError {
  if (error instanceof PeerLostError) return { name: 'PeerLostError', message: error.message, rank: error.rank, reason: error.reason };
  if (error instanceof RingProtocolError) return { name: 'RingProtocolError', message: error.message };
  if (error instanceof RangeError) return { name: 'RangeError', message: error.message };
  if (error instanceof TypeError) return { name: 'TypeError', message: error.message };
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

function reduce({ id, data, timeoutMs }: Extract<RingThreadRequest, { type: 'reduce' }>): void {
  const queued = current;
  if (!queued) {
    post({ type: 'failed', id, error: { name: 'Error', message: 'no ring is formed here: form one first' } });
    return;
  }
  queued.tail = queued.tail
    .then(() => {
      if (queued.failure) throw queued.failure;
      // Nothing to sum; and a neighbour already sending the next call's frames would read to the ring as a length mismatch.
      if (data.length === 0) return;
      return queued.ring.allReduceSum(data, timeoutMs === undefined ? {} : { timeoutMs });
    })
    .then(
      () => post({ type: 'reduced', id }),
      (error: Error) => {
        queued.failure ??= error;
        post({ type: 'failed', id, error: described(error) });
      },
    );
}

async function handle(request: RingThreadRequest): Promise<void> {
  switch (request.type) {
    case 'open':
      if (dataPort) throw new Error('the data port is already open');
      dataPort = await DataPort.open({ bindHost: request.bindHost, secret: Buffer.from(request.secret), runId: request.runId });
      post({ type: 'opened', id: request.id, port: dataPort.port });
      return;
    case 'form': {
      if (!dataPort) throw new Error('the data port is not open: open it first');
      const { id, rank, endpoints, timeoutMs, generation, chunkBytes } = request;
      const ring = await Ring.form({ rank, endpoints, dataPort, timeoutMs, generation, ...(chunkBytes === undefined ? {} : { chunkBytes }) });
      current = { ring, tail: Promise.resolve(), failure: null };
      void ring.ended.then(() => post({ type: 'ended', ring: id }));
      post({ type: 'formed', id });
      return;
    }
    case 'reduce':
      reduce(request);
      return;
    case 'close-ring':
      await current?.ring.close();
      post({ type: 'done', id: request.id });
      return;
    case 'close':
      await current?.ring.close();
      await dataPort?.close();
      post({ type: 'done', id: request.id });
      return;
  }
}

parentPort!.on('message', (message: unknown) => {
  const parsed = RingThreadRequest.safeParse(message);
  if (!parsed.success) {
    const id = (message as { id?: unknown } | null)?.id;
    const error = { name: 'TypeError' as const, message: `ring thread request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
    // Without an id nobody waits for the answer, so the thread fails loudly instead.
    if (typeof id !== 'number') throw new TypeError(error.message);
    post({ type: 'failed', id, error });
    return;
  }
  handle(parsed.data).catch((error: unknown) => post({ type: 'failed', id: parsed.data.id, error: described(error) }));
});
