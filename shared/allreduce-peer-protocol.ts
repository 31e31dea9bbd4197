import { z } from 'zod';
import { RingEndpoint, RingMembership, RingSecretHex } from './ring-membership.js';

/**
 * The IPC between bench/allreduce-bandwidth.ts (and the peer-loss test) and each all-reduce peer
 * process (bench/allreduce-peer.ts): one ring rank per process, as trainers are.
 */
export const PeerCommand = z.discriminatedUnion('type', [
  /** `thread`: the data port and ring live on a worker thread (trainer/distributed/ring-thread.ts), as in trainers. */
  z.object({ type: z.literal('open'), runId: z.string().min(1), secret: RingSecretHex, bindHost: z.string().min(1), thread: z.boolean().optional() }),
  z.object({
    type: z.literal('form'),
    membership: RingMembership,
    chunkBytes: z.number().int().positive(),
  }),
  /**
   * All-reduce a buffer of `elements` floats (rank r holds r + 1 everywhere) `warmup + iterations`
   * times; `shared`: the buffer is SharedArrayBuffer-backed (a thread's ring then reduces it in place).
   */
  z.object({
    type: z.literal('reduce'),
    elements: z.number().int().min(1).max(2 ** 28),
    warmup: z.number().int().min(0),
    iterations: z.number().int().min(1),
    shared: z.boolean().optional(),
  }),
  /**
   * Starts one all-reduce per entry of `lengths` at once (a thread's ring queues them), then blocks
   * the main thread for `blockMs` (Atomics.wait) as a long kernel would; answers `batch`. Call j on
   * rank r holds (r + 1)(j + 1) + i mod 7 at element i. `shared`: the arrays are SharedArrayBuffer-backed.
   */
  z.object({
    type: z.literal('reduce-batch'),
    lengths: z.array(z.number().int().min(1).max(2 ** 26)).min(1).max(64),
    blockMs: z.number().int().min(0).max(60_000),
    shared: z.boolean(),
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
  /** `ms`: from the first call to the last settled; one outcome per call, in call order. */
  z.object({
    type: z.literal('batch'),
    ms: z.number(),
    outcomes: z.array(
      z.discriminatedUnion('ok', [
        z.object({ ok: z.literal(true), correct: z.boolean() }),
        z.object({ ok: z.literal(false), name: z.string(), message: z.string(), lostRank: z.number().int().nullable() }),
      ]),
    ),
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
