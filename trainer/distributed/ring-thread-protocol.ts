import { z } from 'zod';
import { RingEndpoint } from '../../shared/ring-membership.js';

/**
 * The messages between a trainer's main thread (ring-thread.ts) and the worker thread that owns
 * its data port and ring (ring-thread-worker.ts). Thread-local, so it lives here rather than in
 * shared/; every message is still checked on arrival. Each request carries an `id` its answer
 * repeats.
 */
const id = z.number().int().nonnegative();

/** Shared with the main thread, which waits for the sum in it (z.instanceof would type it as ArrayBuffer-backed). */
const SharedFloats = z.custom<Float32Array>((value) => value instanceof Float32Array && value.buffer instanceof SharedArrayBuffer, {
  error: 'must be a Float32Array backed by a SharedArrayBuffer',
});

/** A reduction's patience with a silent neighbour; Infinity waits however long the others take (a pause). */
const Patience = z.number().positive().or(z.literal(Infinity));

export const RingThreadRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), id, bindHost: z.string().min(1), secret: z.instanceof(Uint8Array), runId: z.string().min(1) }),
  /** Ring.form checks the numbers' ranges, so a bad one is refused as it refuses it. */
  z.object({
    type: z.literal('form'),
    id,
    rank: z.number(),
    endpoints: z.array(RingEndpoint),
    timeoutMs: z.number(),
    generation: z.number(),
    chunkBytes: z.number().optional(),
  }),
  /** Sum `data` across the ring, in place. */
  z.object({ type: z.literal('reduce'), id, data: SharedFloats, timeoutMs: Patience.optional() }),
  z.object({ type: z.literal('close-ring'), id }),
  z.object({ type: z.literal('close'), id }),
]);
export type RingThreadRequest = z.infer<typeof RingThreadRequest>;

/** An error rebuilt on the main thread as the same class, so callers' `instanceof` checks keep working. */
export const RingThreadError = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('PeerLostError'),
    message: z.string(),
    rank: z.number().int().nonnegative(),
    reason: z.enum(['closed', 'silent', 'unreachable', 'reported']),
  }),
  z.object({ name: z.enum(['RingProtocolError', 'RangeError', 'TypeError', 'Error']), message: z.string() }),
]);
export type RingThreadError = z.infer<typeof RingThreadError>;

export const RingThreadEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('opened'), id, port: z.number().int().min(1).max(65535) }),
  z.object({ type: z.literal('formed'), id }),
  z.object({ type: z.literal('reduced'), id }),
  z.object({ type: z.literal('done'), id }),
  z.object({ type: z.literal('failed'), id, error: RingThreadError }),
  /** The ring formed by request `ring` can reduce no more. */
  z.object({ type: z.literal('ended'), ring: id }),
]);
export type RingThreadEvent = z.infer<typeof RingThreadEvent>;
