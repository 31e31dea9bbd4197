import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HANDSHAKE_TIMEOUT_MS } from './data-port.js';
import { encodeFrame, FrameKind, FrameReader, RingProtocolError } from './frame-codec.js';
import { PeerLostError } from './peer-lost-error.js';
import {
  authPayload,
  HELLO_BYTES,
  newNonce,
  readHello,
  verifyWelcome,
  WELCOME_BYTES,
  type PeerIdentity,
  type RunCredentials,
} from './ring-handshake.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** A link whose reading the owner drives: `reader` fills its sinks' buffers straight from the socket. */
export interface UpstreamLink {
  socket: Socket;
  reader: FrameReader;
  /** Told when a frame breaks the protocol after the handshake; reading has stopped. */
  onProtocolError(error: Error): void;
}

export interface UpstreamOptions {
  endpoint: Endpoint;
  /** The rank behind `endpoint`, for errors. */
  peerRank: number;
  credentials: RunCredentials;
  /** Who we are to that port. */
  self: PeerIdentity;
  timeoutMs: number;
}

const RETRY_MS = 100;

/**
 * Connects to a peer's data port and runs the handshake; retries a refused or cut connection until
 * the timeout, since the peer may still be opening its side. The returned socket is stopped after
 * the handshake: the owner installs its sink on `reader` and resumes it.
 */
export async function connectUpstream(options: UpstreamOptions): Promise<UpstreamLink> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt(options, deadline);
    } catch (error) {
      if (error instanceof RingProtocolError) throw error;
      last = error;
    }
    await sleep(RETRY_MS);
  }
  const { host, port } = options.endpoint;
  throw new PeerLostError(
    options.peerRank,
    'unreachable',
    `rank ${options.peerRank} at ${host}:${port} did not answer within ${options.timeoutMs} ms` +
      (last instanceof Error ? ` (${last.message})` : ''),
  );
}

function attempt({ endpoint, credentials, self }: UpstreamOptions, deadline: number): Promise<UpstreamLink> {
  return new Promise((resolve, reject) => {
    const hello = new Uint8Array(HELLO_BYTES);
    const welcome = new Uint8Array(WELCOME_BYTES);
    const clientNonce = newNonce();
    let stage: 'hello' | 'welcome' | 'done' = 'hello';
    const fail = (error: Error) => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const reader = new FrameReader(
      {
        target: (kind, length) => {
          if (stage === 'hello' && kind === FrameKind.hello && length === HELLO_BYTES) return hello;
          if (stage === 'welcome' && kind === FrameKind.welcome && length === WELCOME_BYTES) return welcome;
          throw new RingProtocolError(`${endpoint.host}:${endpoint.port} is not a data port of this run`);
        },
        complete: () => {
          if (stage === 'hello') {
            socket.write(encodeFrame(FrameKind.auth, authPayload(credentials, readHello(hello), self, clientNonce)));
            stage = 'welcome';
            return true;
          }
          if (!verifyWelcome(credentials, clientNonce, self, welcome)) {
            throw new RingProtocolError(`${endpoint.host}:${endpoint.port} did not prove it holds the run secret`);
          }
          stage = 'done';
          clearTimeout(timer);
          socket.off('error', onError);
          socket.off('close', onClose);
          resolve(link);
          return false;
        },
      },
      HELLO_BYTES,
    );
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      noDelay: true,
      onread: {
        buffer: () => reader.nextBuffer(),
        callback: (n: number) => {
          try {
            return reader.advance(n);
          } catch (error) {
            if (stage === 'done') link.onProtocolError(error as Error);
            else fail(error as Error);
            return false;
          }
        },
      },
    });
    const link: UpstreamLink = { socket, reader, onProtocolError: (error) => socket.destroy(error) };
    const onError = (error: Error) => fail(error);
    const onClose = () => fail(new Error('closed during the handshake'));
    socket.on('error', onError);
    socket.on('close', onClose);
    const timer = setTimeout(() => fail(new Error('handshake timed out')), Math.max(1, Math.min(HANDSHAKE_TIMEOUT_MS, deadline - Date.now())));
  });
}
