import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RingProtocolError } from './frame-codec.js';

/**
 * Mutual challenge/response for the data port: each side proves it holds the run's secret by
 * MACing the other side's fresh nonce, so the secret never crosses the wire and a recorded
 * handshake is worthless against the next nonce. The labels keep one side's answer from being
 * reflected back as the other's.
 */
export const HANDSHAKE_VERSION = 1;
export const NONCE_BYTES = 32;
const MAC_BYTES = 32;
export const HELLO_BYTES = 1 + NONCE_BYTES;
export const AUTH_BYTES = 4 + 4 + NONCE_BYTES + MAC_BYTES;
export const WELCOME_BYTES = MAC_BYTES;
export const MIN_SECRET_BYTES = 16;
const MAX_RUN_ID_BYTES = 256;

/** What every peer of one run shares, handed out by the coordinating app over its authenticated connections. */
export interface RunCredentials {
  secret: Buffer;
  runId: string;
}

export function checkCredentials({ secret, runId }: RunCredentials): void {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new RangeError(`secret: must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
  const idBytes = Buffer.byteLength(runId);
  if (idBytes === 0 || idBytes > MAX_RUN_ID_BYTES) throw new RangeError(`runId: must be 1 to ${MAX_RUN_ID_BYTES} bytes`);
}

export interface PeerIdentity {
  rank: number;
  generation: number;
}

function mac(label: string, credentials: RunCredentials, nonce: Uint8Array, peer: PeerIdentity): Buffer {
  const runId = Buffer.from(credentials.runId);
  const fields = Buffer.alloc(12);
  fields.writeUInt32BE(runId.length, 0);
  fields.writeUInt32BE(peer.rank, 4);
  fields.writeUInt32BE(peer.generation, 8);
  return createHmac('sha256', credentials.secret).update(label).update(nonce).update(fields).update(runId).digest();
}

const macsEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

export const newNonce = (): Buffer => randomBytes(NONCE_BYTES);

export function helloPayload(nonce: Buffer): Buffer {
  return Buffer.concat([Buffer.from([HANDSHAKE_VERSION]), nonce]);
}

export function readHello(payload: Uint8Array): Buffer {
  if (payload.length !== HELLO_BYTES || payload[0] !== HANDSHAKE_VERSION) {
    throw new RingProtocolError(`data port speaks handshake version ${payload[0]}, not ${HANDSHAKE_VERSION}`);
  }
  return Buffer.from(payload.subarray(1));
}

export function authPayload(credentials: RunCredentials, serverNonce: Uint8Array, peer: PeerIdentity, clientNonce: Buffer): Buffer {
  const out = Buffer.alloc(AUTH_BYTES);
  out.writeUInt32BE(peer.rank, 0);
  out.writeUInt32BE(peer.generation, 4);
  clientNonce.copy(out, 8);
  mac('hpc-studio ring peer', credentials, serverNonce, peer).copy(out, 8 + NONCE_BYTES);
  return out;
}

/** The peer's identity and nonce if its MAC over our nonce checks out; null otherwise (no detail to the peer). */
export function verifyAuth(
  credentials: RunCredentials,
  serverNonce: Uint8Array,
  payload: Uint8Array,
): { peer: PeerIdentity; clientNonce: Buffer } | null {
  if (payload.length !== AUTH_BYTES) return null;
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const peer = { rank: bytes.readUInt32BE(0), generation: bytes.readUInt32BE(4) };
  const expected = mac('hpc-studio ring peer', credentials, serverNonce, peer);
  if (!macsEqual(expected, bytes.subarray(8 + NONCE_BYTES))) return null;
  return { peer, clientNonce: Buffer.from(bytes.subarray(8, 8 + NONCE_BYTES)) };
}

export function welcomePayload(credentials: RunCredentials, clientNonce: Uint8Array, peer: PeerIdentity): Buffer {
  return mac('hpc-studio ring port', credentials, clientNonce, peer);
}

export function verifyWelcome(credentials: RunCredentials, clientNonce: Uint8Array, peer: PeerIdentity, payload: Uint8Array): boolean {
  return macsEqual(welcomePayload(credentials, clientNonce, peer), payload);
}
