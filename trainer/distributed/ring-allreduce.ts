import type { Socket } from 'node:net';
import { ChunkSummer } from './chunk-summer.js';
import type { DataPort } from './data-port.js';
import { encodeFrame, FRAME_HEADER_BYTES, FrameKind, FrameReader, RingProtocolError, writeFrameHeader, type FrameSink } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import { ringSchedule, type RingSchedule } from './ring-schedule.js';
import { connectUpstream, type Endpoint, type UpstreamLink } from './upstream-link.js';

export const DEFAULT_CHUNK_BYTES = 512 * 1024;
export const CHUNK_BYTES_RANGE = { min: 4 * 1024, max: 64 * 1024 * 1024 } as const;
export const MAX_RANKS = 1024;
/** Frames written but not yet taken by the kernel, per link: bounds what a slow neighbour makes us hold. */
const SEND_WINDOW = 4;
const HEARTBEAT = encodeFrame(FrameKind.heartbeat, new Uint8Array(0));
/** How long a rank that lost a peer waits for its abort notices to drain before cutting its links. */
const ABORT_LINGER_MS = 1_000;

export interface RingOptions {
  rank: number;
  /** Every rank's data port, index = rank. */
  endpoints: Endpoint[];
  /** This rank's own port; its run credentials authenticate both links. */
  dataPort: DataPort;
  /** How long to wait for a neighbour to join, and for a joined one that sends or takes nothing mid all-reduce. */
  timeoutMs: number;
  /** Which ring of the run this is: a ring formed again after a loss takes a new generation, so stale links are never mixed in. */
  generation?: number;
  /** Frame size; every rank of a ring must use the same. */
  chunkBytes?: number;
}

interface Reduction {
  data: Float32Array;
  /** This reduction's patience with a silent neighbour. */
  timeoutMs: number;
  bytes: Uint8Array;
  plan: RingSchedule;
  recvDone: number;
  sent: number;
  written: number;
  watchdog: NodeJS.Timeout;
  resolve(): void;
  reject(error: Error): void;
}

function checkOptions({ rank, endpoints, timeoutMs, generation = 0, chunkBytes = DEFAULT_CHUNK_BYTES }: RingOptions): void {
  if (!Array.isArray(endpoints) || endpoints.length < 1 || endpoints.length > MAX_RANKS) {
    throw new RangeError(`endpoints: must list 1 to ${MAX_RANKS} ranks`);
  }
  if (!Number.isInteger(rank) || rank < 0 || rank >= endpoints.length) {
    throw new RangeError(`rank: must be an integer from 0 to ${endpoints.length - 1}`);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs: must be a positive number of milliseconds');
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new RangeError('generation: must be an integer from 0 to 4294967295');
  }
  if (!Number.isInteger(chunkBytes) || chunkBytes % 4 !== 0 || chunkBytes < CHUNK_BYTES_RANGE.min || chunkBytes > CHUNK_BYTES_RANGE.max) {
    throw new RangeError(`chunkBytes: must be a multiple of 4 from ${CHUNK_BYTES_RANGE.min} to ${CHUNK_BYTES_RANGE.max}`);
  }
}

/**
 * One rank of a ring all-reduce over TCP. Rank r connects to rank r−1's data port and receives on
 * that link; rank r+1 connects to ours and we send to it. Sends go out straight from the caller's
 * array (a value is only overwritten after the rank it went to has passed on what it made of it,
 * so the kernel has taken it by then); receives land straight in the array for all-gather and in
 * one reused staging chunk for reduce-scatter (chunk-summer.ts). See ring-schedule.ts for the
 * summation order.
 */
export class Ring {
  private readonly upRank: number;
  private readonly downRank: number;
  private readonly summer: ChunkSummer | null;
  private readonly heads: Buffer[];
  private readonly abortBytes = new Uint8Array(4);
  private active: Reduction | null = null;
  private broken: Error | null = null;
  private markEnded: () => void = () => {};
  /** Resolves once the ring can reduce no more: closed here, a neighbour lost or gone, or a protocol failure. */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));
  private plan: { length: number; schedule: RingSchedule } | null = null;
  private sendSeq = 0;
  private recvSeq = 0;
  /** When the upstream rank last sent a frame, and when the downstream rank last sent a heartbeat back. */
  private lastRecvAt = 0;
  private lastHeardDownAt = 0;
  /** A frame of the next all-reduce that came before this rank started it. */
  private early: 'none' | 'reading' | 'ready' = 'none';
  private earlyLength = 0;

  private constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly timeoutMs: number,
    private readonly chunkBytes: number,
    private readonly upstream: UpstreamLink | null,
    private readonly downstream: Socket | null,
  ) {
    this.upRank = (rank - 1 + this.worldSize) % this.worldSize;
    this.downRank = (rank + 1) % this.worldSize;
    this.summer = upstream ? new ChunkSummer(chunkBytes) : null;
    const heads = Buffer.alloc(FRAME_HEADER_BYTES * SEND_WINDOW);
    this.heads = Array.from({ length: SEND_WINDOW }, (_, i) => heads.subarray(i * FRAME_HEADER_BYTES, (i + 1) * FRAME_HEADER_BYTES));
    if (upstream) this.listenUpstream(upstream);
    if (downstream) this.listenDownstream(downstream);
  }

  /** Resolves once both links are up and authenticated; rejects with PeerLostError naming the rank that did not come. */
  static async form(options: RingOptions): Promise<Ring> {
    checkOptions(options);
    const { rank, endpoints, dataPort, timeoutMs, generation = 0, chunkBytes = DEFAULT_CHUNK_BYTES } = options;
    const worldSize = endpoints.length;
    if (worldSize === 1) return new Ring(rank, 1, timeoutMs, chunkBytes, null, null);
    const upRank = (rank - 1 + worldSize) % worldSize;
    const [down, up] = await Promise.allSettled([
      dataPort.accept({ rank: (rank + 1) % worldSize, generation }, timeoutMs),
      connectUpstream({
        endpoint: endpoints[upRank]!,
        peerRank: upRank,
        credentials: dataPort.credentials,
        self: { rank, generation },
        timeoutMs,
      }),
    ]);
    if (down.status === 'rejected' || up.status === 'rejected') {
      if (down.status === 'fulfilled') down.value.destroy();
      if (up.status === 'fulfilled') up.value.socket.destroy();
      throw up.status === 'rejected' ? up.reason : (down as PromiseRejectedResult).reason;
    }
    return new Ring(rank, worldSize, timeoutMs, chunkBytes, up.value, down.value);
  }

  /**
   * Sums `data` across all ranks in place; every rank ends with bitwise the same array. All ranks
   * must pass the same length. Rejects with PeerLostError when a rank is lost; the ring is then
   * unusable and a new one must be formed. `timeoutMs` overrides the ring's patience with a silent
   * neighbour for this call (Infinity: a pause, where only a closed link counts as a loss).
   */
  allReduceSum(data: Float32Array, options: { timeoutMs?: number } = {}): Promise<void> {
    if (!(data instanceof Float32Array)) return Promise.reject(new TypeError('data: must be a Float32Array'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.active) return Promise.reject(new Error('an all-reduce is already running on this ring'));
    if (this.worldSize === 1) return Promise.resolve();
    if (data.length === 0) {
      return this.early === 'none' ? Promise.resolve() : Promise.reject(this.protocolFailure('ranks disagree on the data length'));
    }
    const plan = this.scheduleFor(data.length);
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      const reduction: Reduction = {
        data,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        plan,
        recvDone: 0,
        sent: 0,
        written: 0,
        watchdog: setInterval(() => this.checkProgress(), Math.max(10, Math.min(250, this.timeoutMs / 4))),
        resolve,
        reject,
      };
      this.active = reduction;
      this.lastRecvAt = now;
      this.lastHeardDownAt = now;
      this.sendHeartbeats();
      if (this.early === 'ready') {
        this.early = 'none';
        try {
          this.receivedEarly(reduction);
        } catch (error) {
          this.protocolFailure((error as Error).message);
          return;
        }
        this.upstream!.socket.resume();
      }
      this.pump(reduction);
      this.finishIfDone(reduction);
    });
  }

  /**
   * Ends both links gracefully and resolves once the neighbours have ended theirs (or after a
   * short linger): destroying at once could reset a link while the neighbour still reads this
   * rank's last frames, and lose them.
   */
  close(): Promise<void> {
    this.settle(this.broken ?? this.breakWith(new Error('ring is closed')));
    const sockets = [this.upstream?.socket, this.downstream].filter((s): s is Socket => !!s && !s.destroyed);
    return Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            const linger = setTimeout(() => socket.destroy(), ABORT_LINGER_MS);
            socket.once('close', () => {
              clearTimeout(linger);
              resolve();
            });
            socket.end();
          }),
      ),
    ).then(() => {});
  }

  private scheduleFor(length: number): RingSchedule {
    if (this.plan?.length !== length) {
      this.plan = { length, schedule: ringSchedule(length, this.worldSize, this.rank, this.chunkBytes / 4) };
    }
    return this.plan.schedule;
  }

  private listenUpstream(link: UpstreamLink): void {
    const { socket, reader } = link;
    const sink: FrameSink = {
      target: (kind, length, seq) => this.receiveTarget(kind, length, seq),
      complete: (kind, length) => this.received(kind, length),
    };
    reader.use(sink, this.chunkBytes);
    link.onProtocolError = (error) => this.protocolFailure(error.message);
    socket.on('error', () => {});
    socket.on('close', () => this.lose(new PeerLostError(this.upRank, 'closed', `rank ${this.upRank} closed its link to rank ${this.rank}`)));
    socket.resume();
  }

  /** Downstream only ever speaks to say it is alive or to report a lost rank. */
  private listenDownstream(socket: Socket): void {
    const reader = new FrameReader(
      {
        target: (kind, length) => {
          if (kind === FrameKind.heartbeat && length === 0) return this.abortBytes.subarray(0, 0);
          if (kind !== FrameKind.abort || length !== 4) throw new RingProtocolError(`rank ${this.downRank} sent a frame out of turn`);
          return this.abortBytes;
        },
        complete: (kind) => {
          if (kind === FrameKind.heartbeat) {
            this.lastHeardDownAt = Date.now();
            return true;
          }
          this.reported();
          return false;
        },
      },
      4,
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch (error) {
        this.protocolFailure((error as Error).message);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.lose(new PeerLostError(this.downRank, 'closed', `rank ${this.downRank} closed its link to rank ${this.rank}`)));
    socket.resume();
  }

  private receiveTarget(kind: number, length: number, seq: number): Uint8Array {
    this.lastRecvAt = Date.now();
    if (kind === FrameKind.abort && length === 4) return this.abortBytes;
    if (kind === FrameKind.heartbeat && length === 0) return this.abortBytes.subarray(0, 0);
    if (kind !== FrameKind.data) throw new RingProtocolError(`rank ${this.upRank} sent an unexpected frame (kind ${kind})`);
    if (seq !== (this.recvSeq & 0xffff)) throw new RingProtocolError(`rank ${this.upRank} sent frames out of order`);
    this.recvSeq++;
    const r = this.active;
    if (!r || r.recvDone === r.plan.recvOffset.length) {
      this.early = 'reading';
      return this.summer!.staging.subarray(0, length);
    }
    const i = r.recvDone;
    this.expectLength(r.plan, i, length);
    if (r.plan.sumInto[i]) return this.summer!.staging.subarray(0, length);
    return r.bytes.subarray(r.plan.recvOffset[i]! * 4, r.plan.recvOffset[i]! * 4 + length);
  }

  private received(kind: number, length: number): boolean {
    this.lastRecvAt = Date.now();
    if (kind === FrameKind.abort) {
      this.reported();
      return false;
    }
    if (kind === FrameKind.heartbeat) return true;
    const r = this.active;
    if (this.early === 'reading') {
      // A frame of the next all-reduce: keep it in the staging chunk and read no further until that call starts.
      if (!r || r.recvDone !== 0) {
        this.early = 'ready';
        this.earlyLength = length;
        return false;
      }
      this.early = 'none';
      this.earlyLength = length;
      this.receivedEarly(r);
      return true;
    }
    if (!r) return false;
    this.apply(r, false);
    return true;
  }

  private receivedEarly(r: Reduction): void {
    if (r.plan.recvOffset.length === 0) throw new RingProtocolError('ranks disagree on the data length');
    this.expectLength(r.plan, 0, this.earlyLength);
    this.apply(r, true);
  }

  private expectLength(plan: RingSchedule, i: number, length: number): void {
    if (length !== plan.recvLength[i]! * 4) {
      throw new RingProtocolError(
        `rank ${this.upRank} sent a chunk of ${length} bytes where ${plan.recvLength[i]! * 4} were due: do all ranks pass the same length and chunkBytes?`,
      );
    }
  }

  /** Receive `recvDone` has arrived (in the staging chunk, or in place unless `staged`). */
  private apply(r: Reduction, staged: boolean): void {
    const i = r.recvDone;
    const offset = r.plan.recvOffset[i]!;
    const count = r.plan.recvLength[i]!;
    if (r.plan.sumInto[i]) this.summer!.addInto(r.data, offset, count);
    else if (staged) this.summer!.copyInto(r.data, offset, count);
    r.recvDone++;
    this.pump(r);
    this.finishIfDone(r);
  }

  private pump(r: Reduction): void {
    const { sendOffset, sendLength, firstRelay } = r.plan;
    const socket = this.downstream!;
    while (r.sent < sendOffset.length && r.sent - r.written < SEND_WINDOW && (r.sent < firstRelay || r.recvDone > r.sent - firstRelay)) {
      const offset = sendOffset[r.sent]!;
      const bytes = sendLength[r.sent]! * 4;
      r.sent++;
      const head = this.heads[this.sendSeq % SEND_WINDOW]!;
      writeFrameHeader(head, FrameKind.data, bytes, this.sendSeq++);
      socket.cork();
      socket.write(head);
      socket.write(new Uint8Array(r.data.buffer, r.data.byteOffset + offset * 4, bytes), this.written);
      socket.uncork();
    }
  }

  private readonly written = (error?: Error | null) => {
    const r = this.active;
    if (error || !r) return;
    r.written++;
    this.pump(r);
    this.finishIfDone(r);
  };

  private finishIfDone(r: Reduction): void {
    if (this.active !== r || r.recvDone < r.plan.recvOffset.length || r.written < r.plan.sendOffset.length) return;
    this.active = null;
    clearInterval(r.watchdog);
    r.resolve();
  }

  private sendHeartbeats(): void {
    this.downstream!.write(HEARTBEAT);
    this.upstream!.socket.write(HEARTBEAT);
  }

  /**
   * A neighbour is lost once it has been silent for the timeout while this rank still needs it: it
   * sent no frame (upstream) or no heartbeat (downstream). A rank that waits on someone else still
   * sends heartbeats, so the blame lands on the rank that stopped, not on those it starved.
   */
  private checkProgress(): void {
    const r = this.active;
    if (!r) return;
    this.sendHeartbeats();
    const now = Date.now();
    if (r.written < r.plan.sendOffset.length && now - this.lastHeardDownAt > r.timeoutMs) {
      this.lose(new PeerLostError(this.downRank, 'silent', `rank ${this.downRank} was not heard from by rank ${this.rank} for ${r.timeoutMs} ms`));
    } else if (r.recvDone < r.plan.recvOffset.length && now - this.lastRecvAt > r.timeoutMs) {
      this.lose(new PeerLostError(this.upRank, 'silent', `rank ${this.upRank} sent nothing to rank ${this.rank} for ${r.timeoutMs} ms`));
    }
  }

  private reported(): void {
    const lost = new DataView(this.abortBytes.buffer).getUint32(0);
    this.lose(new PeerLostError(lost, 'reported', `rank ${lost} was lost (reported to rank ${this.rank} by a neighbour)`));
  }

  /** The first loss wins: tell both neighbours who was lost, so ranks further round learn it without waiting out a timeout. */
  private lose(error: PeerLostError): void {
    if (this.broken) return;
    this.breakWith(error);
    const notice = Buffer.alloc(4);
    notice.writeUInt32BE(error.rank);
    const frame = encodeFrame(FrameKind.abort, notice);
    for (const socket of [this.upstream?.socket, this.downstream]) {
      if (!socket || socket.destroyed) continue;
      socket.end(frame);
      setTimeout(() => socket.destroy(), ABORT_LINGER_MS).unref();
    }
    this.settle(error);
  }

  private protocolFailure(message: string): Error {
    const error = new RingProtocolError(`ring rank ${this.rank}: ${message}`);
    const broken = this.broken ?? this.breakWith(error);
    this.upstream?.socket.destroy();
    this.downstream?.destroy();
    this.settle(broken);
    return broken;
  }

  /** The ring can reduce no more, for this reason (returned). */
  private breakWith(error: Error): Error {
    this.broken = error;
    this.markEnded();
    return error;
  }

  private settle(error: Error): void {
    const r = this.active;
    if (!r) return;
    this.active = null;
    clearInterval(r.watchdog);
    r.reject(error);
  }
}
