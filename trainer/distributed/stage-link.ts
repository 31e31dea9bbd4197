import type { Socket } from 'node:net';
import type { DataPort } from './data-port.js';
import { FRAME_HEADER_BYTES, FrameKind, FrameReader, RingProtocolError, writeFrameHeader, type FrameSink } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import { connectUpstream, type Endpoint } from './upstream-link.js';

/** The largest message between two stages: a micro-batch's activations, or a stage's share of a checkpoint. */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;
/** Bytes queued for a slow neighbour before the sender waits for them to drain. */
const HIGH_WATER_BYTES = 64 * 1024 * 1024;
const TAG_BYTES = 4;

interface Waiter {
  tag: number;
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
}

/**
 * Both directions of the link between two adjacent pipeline stages: tagged messages in order.
 * Every stage runs the same schedule, so a message arriving with a tag other than the one due is a
 * broken protocol, not something to reorder.
 */
export class StageLink {
  private readonly arrived: { tag: number; bytes: Uint8Array }[] = [];
  private waiter: Waiter | null = null;
  private lost: Error | null = null;
  /** The payload buffer of the frame being read, handed over when it completes. */
  private pending: Uint8Array | null = null;

  constructor(
    readonly peerRank: number,
    private readonly rank: number,
    private readonly socket: Socket,
    upstreamReader: FrameReader | null,
  ) {
    const sink: FrameSink = {
      target: (kind, length) => {
        if (kind !== FrameKind.stage || length < TAG_BYTES) throw new RingProtocolError(`stage ${peerRank} sent an unexpected frame (kind ${kind})`);
        return new Uint8Array(length);
      },
      complete: (_kind, length) => {
        const frame = this.pending!;
        this.pending = null;
        this.deliver(new DataView(frame.buffer).getUint32(0), frame.subarray(TAG_BYTES, length));
        return true;
      },
    };
    // The reader asks for the payload's buffer before it fills it: remember it to hand over on completion.
    const keeping: FrameSink = { target: (kind, length, seq) => (this.pending = sink.target(kind, length, seq)), complete: sink.complete };
    if (upstreamReader) {
      upstreamReader.use(keeping, MAX_MESSAGE_BYTES);
    } else {
      const reader = new FrameReader(keeping, MAX_MESSAGE_BYTES);
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.feed(chunk);
        } catch (error) {
          this.fail(error as Error);
        }
      });
    }
    socket.on('error', () => {});
    socket.on('close', () => this.fail(new PeerLostError(peerRank, 'closed', `stage ${peerRank} closed its link to stage ${rank}`)));
    socket.resume();
  }

  /** Queues `payload` (copied) under `tag`; resolves at once unless much is still queued for a slow neighbour. */
  async send(tag: number, payload: Uint8Array | Float32Array): Promise<void> {
    if (this.lost) throw this.lost;
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + TAG_BYTES + bytes.length);
    writeFrameHeader(frame, FrameKind.stage, TAG_BYTES + bytes.length, 0);
    frame.writeUInt32BE(tag, FRAME_HEADER_BYTES);
    frame.set(bytes, FRAME_HEADER_BYTES + TAG_BYTES);
    this.socket.write(frame);
    if (this.socket.writableLength > HIGH_WATER_BYTES) await new Promise<void>((resolve) => this.socket.once('drain', resolve));
  }

  /** The next message, which must carry `tag`; rejects with PeerLostError after `timeoutMs` of silence (Infinity: wait on). */
  receive(tag: number, timeoutMs: number): Promise<Uint8Array> {
    const next = this.arrived.shift();
    if (next) return next.tag === tag ? Promise.resolve(next.bytes) : Promise.reject(this.fail(this.outOfTurn(tag, next.tag)));
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => this.fail(new PeerLostError(this.peerRank, 'silent', `stage ${this.peerRank} sent nothing to stage ${this.rank} for ${timeoutMs} ms`)), timeoutMs)
        : null;
      this.waiter = { tag, resolve, reject, timer };
    });
  }

  async receiveFloats(tag: number, timeoutMs: number): Promise<Float32Array> {
    const bytes = await this.receive(tag, timeoutMs);
    if (bytes.byteLength % 4 !== 0) throw this.fail(new RingProtocolError(`stage ${this.peerRank} sent ${bytes.byteLength} bytes where float32 values were due`));
    // The payload sits 4 bytes into its own buffer: aligned for a float32 view.
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }

  /** Ends the link gracefully, waiting briefly for the neighbour to end its side. */
  close(): Promise<void> {
    this.fail(new Error('stage link is closed'));
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const linger = setTimeout(() => this.socket.destroy(), 1_000);
      this.socket.once('close', () => (clearTimeout(linger), resolve()));
      this.socket.end();
    });
  }

  private deliver(tag: number, bytes: Uint8Array): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.arrived.push({ tag, bytes });
      return;
    }
    this.waiter = null;
    if (waiter.timer) clearTimeout(waiter.timer);
    if (tag === waiter.tag) waiter.resolve(bytes);
    else waiter.reject(this.fail(this.outOfTurn(waiter.tag, tag)));
  }

  private outOfTurn(due: number, got: number): RingProtocolError {
    return new RingProtocolError(`stage ${this.peerRank} sent message ${got} where ${due} was due: do all stages run the same schedule?`);
  }

  private fail(error: Error): Error {
    if (!this.lost) {
      this.lost = error;
      if (!(error instanceof PeerLostError) || error.reason !== 'closed') this.socket.destroy();
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reject(this.lost);
    }
    return this.lost;
  }
}

/** A stage's links: to the stage before it (which it connects to) and from the one after (which connects to it). */
export interface StageLinks {
  previous: StageLink | null;
  next: StageLink | null;
}

/** Connects stage `rank` to its neighbours at `endpoints` (index = stage), proving the run's secret both ways. */
export async function formStageLinks(options: { rank: number; endpoints: Endpoint[]; dataPort: DataPort; timeoutMs: number; generation: number }): Promise<StageLinks> {
  const { rank, endpoints, dataPort, timeoutMs, generation } = options;
  const last = endpoints.length - 1;
  const [previous, next] = await Promise.allSettled([
    rank > 0
      ? connectUpstream({ endpoint: endpoints[rank - 1]!, peerRank: rank - 1, credentials: dataPort.credentials, self: { rank, generation }, timeoutMs })
      : Promise.resolve(null),
    rank < last ? dataPort.accept({ rank: rank + 1, generation }, timeoutMs) : Promise.resolve(null),
  ]);
  if (previous.status === 'rejected' || next.status === 'rejected') {
    if (previous.status === 'fulfilled') previous.value?.socket.destroy();
    if (next.status === 'fulfilled') next.value?.destroy();
    throw previous.status === 'rejected' ? previous.reason : (next as PromiseRejectedResult).reason;
  }
  return {
    previous: previous.value ? new StageLink(rank - 1, rank, previous.value.socket, previous.value.reader) : null,
    next: next.value ? new StageLink(rank + 1, rank, next.value, null) : null,
  };
}
