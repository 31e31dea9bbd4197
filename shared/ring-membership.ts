import { z } from 'zod';
import { integerIn as int } from './integer-range.js';

/** Accepted ranges for a ring's membership, shared by the schema and the trainer's checks. */
export const RING_LIMITS = {
  ranks: { min: 1, max: 1024 },
  generation: { min: 0, max: 0xffffffff },
  port: { min: 1, max: 65535 },
  timeoutMs: { min: 100, max: 600_000 },
} as const;

/** One trainer's data port, as it reports it to the coordinating app. */
export const RingEndpoint = z.object({
  host: z.string().min(1, { error: 'must be a host name or address' }).max(253, { error: 'must be at most 253 characters' }),
  port: int(RING_LIMITS.port.min, RING_LIMITS.port.max),
});
export type RingEndpoint = z.infer<typeof RingEndpoint>;

/** The run's data-port secret: 32 random bytes, as hex, sent only over the authenticated control connection. */
export const RingSecretHex = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits (32 bytes)' });

/** What the coordinating app tells each trainer so it can join a ring: who is where, and which ring this is. */
export const RingMembership = z
  .object({
    runId: z.string().min(1, { error: 'must not be empty' }).max(256, { error: 'must be at most 256 characters' }),
    generation: int(RING_LIMITS.generation.min, RING_LIMITS.generation.max),
    rank: int(0, RING_LIMITS.ranks.max - 1),
    endpoints: z
      .array(RingEndpoint)
      .min(RING_LIMITS.ranks.min, { error: `must list ${RING_LIMITS.ranks.min} to ${RING_LIMITS.ranks.max} ranks` })
      .max(RING_LIMITS.ranks.max, { error: `must list ${RING_LIMITS.ranks.min} to ${RING_LIMITS.ranks.max} ranks` }),
    timeoutMs: int(RING_LIMITS.timeoutMs.min, RING_LIMITS.timeoutMs.max),
  })
  .refine((m) => m.rank < m.endpoints.length, { path: ['rank'], error: 'must be below the number of endpoints' });
export type RingMembership = z.infer<typeof RingMembership>;
