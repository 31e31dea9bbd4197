import { createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FrameKind, FrameReader, RingProtocolError } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import {
  AUTH_BYTES,
  checkCredentials,
  helloPayload,
  newNonce,
  verifyAuth,
  welcomePayload,
  type PeerIdentity,
  type RunCredentials,
} from './ring-handshake.js';

export const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Connections still proving themselves; more at once are refused, so strangers cannot exhaust descriptors. */
const MAX_HANDSHAKES = 32;
/** Authenticated links no ring has claimed yet (a peer that formed its side first). */
const MAX_UNCLAIMED = 64;

export interface DataPortOptions extends RunCredentials {
  /** The interface the user picked for the run; the port is chosen by the OS. */
  bindHost: string;
  handshakeTimeoutMs?: number;
}

interface Waiter {
  resolve(socket: Socket): void;
  reject(error: Error): void;
}

const key = ({ rank, generation }: PeerIdentity) => `${generation}:${rank}`;

/**
 * One trainer's listening port for a run. Every connection must first prove the run's secret
 * (ring-handshake.ts); a wrong, malformed or slow answer is closed without a word. Authenticated
 * links wait here, keyed by the peer's rank and ring generation, until a ring claims them.
 */
export class DataPort {
  readonly credentials: RunCredentials;
  private readonly handshakes = new Set<Socket>();
  private readonly unclaimed = new Map<string, Socket>();
  private readonly waiters = new Map<string, Waiter>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    credentials: RunCredentials,
    private readonly handshakeTimeoutMs: number,
  ) {
    this.credentials = credentials;
    server.on('connection', (socket) => this.admit(socket));
  }

  static async open(options: DataPortOptions): Promise<DataPort> {
    const credentials = { secret: options.secret, runId: options.runId };
    checkCredentials(credentials);
    const server = createServer({ noDelay: true, pauseOnConnect: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.bindHost, port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('data port has no TCP address');
    return new DataPort(server, options.bindHost, address.port, credentials, options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  }

  /** The authenticated link from `peer`, once it has connected (or already had). */
  accept(peer: PeerIdentity, timeoutMs: number): Promise<Socket> {
    const id = key(peer);
    const ready = this.unclaimed.get(id);
    if (ready) {
      this.unclaimed.delete(id);
      return Promise.resolve(ready);
    }
    if (this.closed) return Promise.reject(new Error('data port is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new PeerLostError(peer.rank, 'unreachable', `rank ${peer.rank} did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.get(id)?.reject(new Error(`a newer ring claimed rank ${peer.rank}'s link`));
      this.waiters.set(id, {
        resolve: (socket) => (clearTimeout(timer), resolve(socket)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of [...this.handshakes, ...this.unclaimed.values()]) socket.destroy();
    this.unclaimed.clear();
    for (const waiter of this.waiters.values()) waiter.reject(new Error('data port is closed'));
    this.waiters.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private admit(socket: Socket): void {
    if (this.closed || this.handshakes.size >= MAX_HANDSHAKES) {
      socket.destroy();
      return;
    }
    this.handshakes.add(socket);
    const nonce = newNonce();
    const authBytes = new Uint8Array(AUTH_BYTES);
    let settled = false;
    const refuse = () => {
      settled = true;
      clearTimeout(timer);
      this.handshakes.delete(socket);
      socket.destroy();
    };
    const timer = setTimeout(refuse, this.handshakeTimeoutMs);
    const reader = new FrameReader(
      {
        target: (kind, length) => {
          if (kind !== FrameKind.auth || length !== AUTH_BYTES) throw new RingProtocolError('expected an auth frame');
          return authBytes;
        },
        complete: () => {
          const verified = verifyAuth(this.credentials, nonce, authBytes);
          if (!verified) throw new RingProtocolError('wrong secret');
          settled = true;
          clearTimeout(timer);
          this.handshakes.delete(socket);
          socket.off('data', onData);
          socket.pause();
          socket.write(encodeFrame(FrameKind.welcome, welcomePayload(this.credentials, verified.clientNonce, verified.peer)));
          this.handOver(verified.peer, socket);
          return false;
        },
      },
      AUTH_BYTES,
    );
    const onData = (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch {
        refuse();
      }
    };
    socket.on('data', onData);
    socket.on('error', refuse);
    socket.on('close', () => settled || refuse());
    socket.setNoDelay(true);
    socket.write(encodeFrame(FrameKind.hello, helloPayload(nonce)));
  }

  private handOver(peer: PeerIdentity, socket: Socket): void {
    const id = key(peer);
    const waiter = this.waiters.get(id);
    if (waiter) {
      this.waiters.delete(id);
      waiter.resolve(socket);
      return;
    }
    this.unclaimed.get(id)?.destroy();
    this.unclaimed.delete(id);
    if (this.unclaimed.size >= MAX_UNCLAIMED) {
      const [oldest, stale] = this.unclaimed.entries().next().value!;
      stale.destroy();
      this.unclaimed.delete(oldest);
    }
    this.unclaimed.set(id, socket);
    socket.once('close', () => this.unclaimed.get(id) === socket && this.unclaimed.delete(id));
  }
}
