import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RingProtocolError } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import type { Endpoint } from './upstream-link.js';
import { RingThreadEvent, type RingThreadError, type RingThreadRequest } from './ring-thread-protocol.js';

const WORKER_FILE = 'ring-thread-worker.js';

/**
 * The worker's compiled file. A Worker cannot load TypeScript: running compiled (dist/ or a
 * bundle) it sits beside this file; running from the sources (vitest) the dist/ copy is used.
 */
export function ringThreadWorkerUrl(from: string = import.meta.url): URL {
  if (from.endsWith('.js')) return new URL(`./${WORKER_FILE}`, from);
  // This file is trainer/distributed/ring-thread.ts; tsc puts its worker in dist/trainer/distributed/.
  const compiled = new URL(`../../dist/trainer/distributed/${WORKER_FILE}`, from);
  if (!existsSync(fileURLToPath(compiled))) throw new Error(`the ring thread's worker ${fileURLToPath(compiled)} is missing: run \`npm run build:node\` first`);
  return compiled;
}

export interface RingThreadOpenOptions {
  /** The interface the user picked for the run; the port is chosen by the OS. */
  bindHost: string;
  secret: Uint8Array;
  runId: string;
}

export interface RingThreadFormOptions {
  rank: number;
  /** Every rank's data port, index = rank. */
  endpoints: Endpoint[];
  /** How long to wait for a neighbour to join, and for a joined one that sends or takes nothing mid all-reduce. */
  timeoutMs: number;
  /** Which ring of the run this is (see Ring.form). */
  generation: number;
  chunkBytes?: number;
}

type Answer = Exclude<RingThreadEvent, { type: 'failed' | 'ended' }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<RingThreadRequest>;

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

function rebuilt(error: RingThreadError): Error {
  switch (error.name) {
    case 'PeerLostError':
      return new PeerLostError(error.rank, error.reason, error.message);
    case 'RingProtocolError':
      return new RingProtocolError(error.message);
    case 'RangeError':
      return new RangeError(error.message);
    case 'TypeError':
      return new TypeError(error.message);
    case 'Error':
      return new Error(error.message);
  }
}

/**
 * A trainer's data port and ring all-reduce (ring-allreduce.ts) on a worker thread with its own
 * event loop, so a reduction keeps moving while TensorFlow.js kernels block the main thread.
 * Errors come back as the classes Ring throws (PeerLostError, RingProtocolError, RangeError).
 */
export class RingThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Why the worker is gone, once it is. */
  private gone: Error | null = null;
  private ring: { id: number; ended: Promise<void>; end(): void } | null = null;
  private portNumber = 0;
  /** Shared buffers that carried plain arrays' values, kept for later calls: a fresh one per call costs more than the copies. */
  private readonly spare: SharedArrayBuffer[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: unknown) => {
      const event = RingThreadEvent.safeParse(message);
      if (event.success) this.received(event.data);
      else this.malformed(event.error.issues);
    });
    worker.on('error', (error) => this.lost(error));
    worker.on('exit', (code) => this.lost(new Error(`the ring thread exited (code ${code})`)));
    // Only a request in flight keeps the process alive (see request()).
    worker.unref();
  }

  /** Starts the worker and opens the data port in it. */
  static async open(options: RingThreadOpenOptions, workerUrl: URL = ringThreadWorkerUrl()): Promise<RingThread> {
    const thread = new RingThread(new Worker(workerUrl, { name: 'ring all-reduce' }));
    try {
      // A copy: a Buffer may be a view into Node's shared pool, which would travel whole.
      const answer = await thread.request({ type: 'open', bindHost: options.bindHost, secret: Uint8Array.from(options.secret), runId: options.runId });
      thread.portNumber = (answer as Extract<Answer, { type: 'opened' }>).port;
      return thread;
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
  }

  /** The data port's TCP port, for the `data-port` announcement. */
  get port(): number {
    return this.portNumber;
  }

  /** Resolves once the last formed ring can reduce no more (closed, a neighbour lost, a protocol failure, or the thread gone). */
  get ended(): Promise<void> {
    return this.ring?.ended ?? Promise.resolve();
  }

  /** Forms a ring over the data port; rejects as Ring.form does (PeerLostError naming a rank that did not come, RangeError for bad options). */
  async form(options: RingThreadFormOptions): Promise<void> {
    await this.request({ type: 'form', ...options });
  }

  /**
   * Sums `data` across the ring, as Ring.allReduceSum, but may be called again before earlier calls
   * resolve: reductions run one after another in call order (every rank must call in the same order
   * with the same lengths). A SharedArrayBuffer-backed array is reduced in place by the worker while
   * the caller keeps computing (it must not touch the array until this resolves); any other is
   * copied into a shared buffer and the sum copied back before this resolves. Once one reduction
   * fails, those queued behind it on the same ring reject with the same error.
   */
  async allReduceSum(data: Float32Array, options: { timeoutMs?: number } = {}): Promise<void> {
    if (!(data instanceof Float32Array)) throw new TypeError('data: must be a Float32Array');
    const patience = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    if (data.buffer instanceof SharedArrayBuffer) {
      await this.request({ type: 'reduce', data, ...patience });
      return;
    }
    const buffer = this.staging(data.byteLength);
    try {
      const staged = new Float32Array(buffer, 0, data.length);
      staged.set(data);
      await this.request({ type: 'reduce', data: staged, ...patience });
      data.set(staged);
    } finally {
      this.spare.push(buffer);
    }
  }

  /** The smallest spare buffer that holds `bytes`, or a new one. */
  private staging(bytes: number): SharedArrayBuffer {
    let best = -1;
    this.spare.forEach((b, i) => {
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.spare[best]!.byteLength)) best = i;
    });
    return best < 0 ? new SharedArrayBuffer(bytes) : this.spare.splice(best, 1)[0]!;
  }

  /** Ends the ring's links gracefully, as Ring.close (never rejects); the data port stays open for the next ring. */
  async closeRing(): Promise<void> {
    await this.settled({ type: 'close-ring' });
  }

  /** Closes the ring and the data port and ends the worker. */
  async close(): Promise<void> {
    await this.settled({ type: 'close' });
    this.gone ??= new Error('the ring thread is closed');
    await this.worker.terminate();
  }

  /** A request that only fails when the worker is gone, and then has nothing left to close. */
  private async settled(request: Request): Promise<void> {
    if (this.gone) return;
    await this.request(request).catch((error: unknown) => {
      if (!this.gone) throw error;
    });
  }

  private request(request: Request): Promise<Answer> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...request, id });
    });
  }

  private received(event: RingThreadEvent): void {
    if (event.type === 'ended') {
      if (this.ring?.id === event.ring) this.ring.end();
      return;
    }
    // Taken at once, before any later message: the new ring's `ended` may be the very next one.
    if (event.type === 'formed') {
      this.ring?.end();
      let end = () => {};
      const ended = new Promise<void>((resolve) => (end = resolve));
      this.ring = { id: event.id, ended, end };
    }
    const pending = this.pending.get(event.id);
    if (!pending) return;
    this.pending.delete(event.id);
    if (this.pending.size === 0) this.worker.unref();
    if (event.type === 'failed') pending.reject(rebuilt(event.error));
    else pending.resolve(event);
  }

  /** Our own worker said something out of protocol: a bug, so nothing it says can be trusted any more. */
  private malformed(issues: { path: PropertyKey[]; message: string }[]): void {
    this.lost(new Error(`the ring thread sent a malformed message: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
    void this.worker.terminate();
  }

  private lost(error: Error): void {
    this.gone ??= error;
    for (const pending of this.pending.values()) pending.reject(this.gone);
    this.pending.clear();
    this.ring?.end();
  }
}
