import { z } from 'zod';
import { RingEndpoint, RingMembership, RingSecretHex } from './ring-membership.js';

/**
 * The IPC between bench/allreduce-bandwidth.ts (and the peer-loss test) and each all-reduce peer
 * process (bench/allreduce-peer.ts): one ring rank per process, as trainers are.
 */
export const PeerCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), runId: z.string().min(1), secret: RingSecretHex, bindHost: z.string().min(1) }),
  z.object({
    type: z.literal('form'),
    membership: RingMembership,
    chunkBytes: z.number().int().positive(),
  }),
  /** All-reduce a buffer of `elements` floats (rank r holds r + 1 everywhere) `warmup + iterations` times. */
  z.object({
    type: z.literal('reduce'),
    elements: z.number().int().min(1).max(2 ** 28),
    warmup: z.number().int().min(0),
    iterations: z.number().int().min(1),
  }),
  /**
   * The TCP baseline's sender: listens, and once a receiver connects sends it `bytes` in
   * `chunkBytes` writes, `iterations` times, each timed until the receiver acks it with one byte.
   */
  z.object({
    type: z.literal('stream-serve'),
    bindHost: z.string().min(1),
    bytes: z.number().int().positive(),
    chunkBytes: z.number().int().positive(),
    iterations: z.number().int().min(1),
  }),
  /** The TCP baseline's receiver: plain 'data' events, or `inPlace` into one reused buffer as the ring reads. */
  z.object({
    type: z.literal('stream-receive'),
    endpoint: RingEndpoint,
    bytes: z.number().int().positive(),
    inPlace: z.boolean(),
  }),
]);
export type PeerCommand = z.infer<typeof PeerCommand>;

export const PeerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('opened'), port: z.number().int() }),
  z.object({ type: z.literal('formed') }),
  z.object({ type: z.literal('iteration'), index: z.number().int(), ms: z.number() }),
  /** Per timed iteration; `correct`: the first result equalled the exact sum on every element. */
  z.object({
    type: z.literal('reduced'),
    ms: z.array(z.number()),
    correct: z.boolean(),
    /** This process's CPU time over the timed iterations (user: JS and the sums; system: mostly the kernel's socket copies). */
    cpuUserMs: z.number(),
    cpuSystemMs: z.number(),
  }),
  z.object({ type: z.literal('stream-port'), port: z.number().int() }),
  z.object({ type: z.literal('streamed'), ms: z.array(z.number()) }),
  z.object({
    type: z.literal('failed'),
    name: z.string(),
    message: z.string(),
    lostRank: z.number().int().nullable(),
    reason: z.string().nullable(),
  }),
]);
export type PeerEvent = z.infer<typeof PeerEvent>;
