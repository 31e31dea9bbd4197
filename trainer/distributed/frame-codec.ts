/**
 * The data port's wire format: every message is one frame, an 8-byte header then its payload.
 *
 *   u32 BE payload length | u8 kind | u8 0 | u16 BE sequence number
 *
 * A reader never allocates from a header: it asks its sink where the payload goes (a buffer the
 * sink already owns), and refuses a length above the agreed maximum before reading a payload byte.
 */
export const FRAME_HEADER_BYTES = 8;

export const FrameKind = {
  /** Port → peer: protocol version and a fresh nonce. */
  hello: 1,
  /** Peer → port: its rank and generation, its own nonce, and the MAC of the port's nonce. */
  auth: 2,
  /** Port → peer: the MAC of the peer's nonce, proving the port knows the secret too. */
  welcome: 3,
  /** A chunk of float32 values, in the order both ends compute from the all-reduce schedule. */
  data: 4,
  /** A rank was lost (u32 BE rank); passed on around the ring so every rank learns who. */
  abort: 5,
  /**
   * Empty; each rank sends one on both links several times per timeout while it is inside an
   * all-reduce, so a neighbour that waits on a starved rank can tell it from a dead one.
   */
  heartbeat: 6,
  /** Between adjacent pipeline stages: a u32 BE tag saying what follows, then its bytes (activations, gradients, state). */
  stage: 7,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** The peer broke the protocol: the link is closed and never trusted again. */
export class RingProtocolError extends Error {
  override readonly name = 'RingProtocolError';
}

export function writeFrameHeader(target: Uint8Array, kind: FrameKind, length: number, seq: number): void {
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_BYTES);
  view.setUint32(0, length);
  view.setUint8(4, kind);
  view.setUint8(5, 0);
  view.setUint16(6, seq & 0xffff);
}

export function encodeFrame(kind: FrameKind, payload: Uint8Array, seq = 0): Buffer {
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(frame, kind, payload.length, seq);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface FrameSink {
  /** Where this frame's payload goes: exactly `length` bytes. Throws RingProtocolError to refuse the frame. */
  target(kind: number, length: number, seq: number): Uint8Array;
  /** The payload is in place. False stops reading after this frame until the owner resumes the socket. */
  complete(kind: number, length: number, seq: number): boolean;
}

/**
 * Frames from a byte stream, filled in place. Pull mode (`nextBuffer`/`advance`) backs a socket's
 * `onread`, so the kernel copies payloads straight into the sink's buffers; push mode (`feed`)
 * copies chunks from 'data' events into the same places.
 */
export class FrameReader {
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private readonly headView = new DataView(this.head.buffer);
  private headFilled = 0;
  private payload: Uint8Array | null = null;
  private payloadFilled = 0;
  private kind = 0;
  private length = 0;
  private seq = 0;

  constructor(
    private sink: FrameSink,
    private maxPayloadBytes: number,
  ) {}

  /** Swaps who receives frames; only between frames, as when a handshake hands the link to a ring. */
  use(sink: FrameSink, maxPayloadBytes: number): void {
    this.sink = sink;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  nextBuffer(): Uint8Array {
    return this.payload ? this.payload.subarray(this.payloadFilled) : this.head.subarray(this.headFilled);
  }

  /** `n` bytes were written into the last `nextBuffer()`. False: stop reading. */
  advance(n: number): boolean {
    if (this.payload) {
      this.payloadFilled += n;
      return this.payloadFilled < this.payload.length || this.finishFrame();
    }
    this.headFilled += n;
    if (this.headFilled < FRAME_HEADER_BYTES) return true;
    this.headFilled = 0;
    this.length = this.headView.getUint32(0);
    this.kind = this.headView.getUint8(4);
    this.seq = this.headView.getUint16(6);
    if (this.length > this.maxPayloadBytes) {
      throw new RingProtocolError(`frame of ${this.length} bytes is over the agreed maximum of ${this.maxPayloadBytes}`);
    }
    const payload = this.sink.target(this.kind, this.length, this.seq);
    if (payload.length !== this.length) throw new RingProtocolError('frame target does not match its length');
    if (this.length === 0) return this.sink.complete(this.kind, 0, this.seq);
    this.payload = payload;
    this.payloadFilled = 0;
    return true;
  }

  /** Push mode. Bytes after a frame whose sink said stop are a protocol error: that peer had to wait. */
  feed(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const into = this.nextBuffer();
      const n = Math.min(into.length, chunk.length - offset);
      into.set(chunk.subarray(offset, offset + n));
      offset += n;
      if (!this.advance(n) && offset < chunk.length) throw new RingProtocolError('bytes sent out of turn');
    }
  }

  private finishFrame(): boolean {
    this.payload = null;
    return this.sink.complete(this.kind, this.length, this.seq);
  }
}
