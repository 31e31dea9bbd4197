import { z } from 'zod';
import { RingMembership, RingSecretHex } from './ring-membership.js';
import { integerIn as int } from './integer-range.js';

/** Accepted ranges of a simulated training run, shared by the schema and its error messages. */
export const SCALING_LIMITS = {
  elements: { min: 1, max: 2 ** 28 },
  computeMs: { min: 0, max: 60_000 },
  warmup: { min: 0, max: 1_000 },
  steps: { min: 1, max: 10_000 },
  chunkBytes: { min: 4 * 1024, max: 64 * 1024 * 1024 },
} as const;

/**
 * The IPC between bench/scaling-efficiency.ts and each simulated node's peer process
 * (bench/scaling-peer.ts, one ring rank per network namespace).
 */
export const ScalingPeerCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), runId: z.string().min(1), secret: RingSecretHex, bindHost: z.string().min(1) }),
  z.object({ type: z.literal('form'), membership: RingMembership, chunkBytes: int(SCALING_LIMITS.chunkBytes.min, SCALING_LIMITS.chunkBytes.max) }),
  /**
   * `warmup + steps` simulated training steps: wait `computeMs` (the compute a real peer spends
   * on its batch), then all-reduce `elements` floats (rank r holds r + 1 everywhere), as a
   * data-parallel step does with its gradient. With `buckets`, each bucket (lengths summing to
   * `elements`) goes to the all-reduce once the wait has passed its `readyAt` share of `computeMs`,
   * overlapping with the rest, as the trainer's buckets overlap its backward pass.
   */
  z.object({
    type: z.literal('steps'),
    elements: int(SCALING_LIMITS.elements.min, SCALING_LIMITS.elements.max),
    buckets: z
      .array(z.object({ length: int(1, SCALING_LIMITS.elements.max), readyAt: z.number().min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }) }))
      .min(1)
      .max(1024)
      .optional(),
    computeMs: z
      .number({ error: `must be a number of milliseconds from ${SCALING_LIMITS.computeMs.min} to ${SCALING_LIMITS.computeMs.max}` })
      .min(SCALING_LIMITS.computeMs.min, { error: `must be a number of milliseconds from ${SCALING_LIMITS.computeMs.min} to ${SCALING_LIMITS.computeMs.max}` })
      .max(SCALING_LIMITS.computeMs.max, { error: `must be a number of milliseconds from ${SCALING_LIMITS.computeMs.min} to ${SCALING_LIMITS.computeMs.max}` }),
    warmup: int(SCALING_LIMITS.warmup.min, SCALING_LIMITS.warmup.max),
    steps: int(SCALING_LIMITS.steps.min, SCALING_LIMITS.steps.max),
  }),
]);
export type ScalingPeerCommand = z.infer<typeof ScalingPeerCommand>;

/** One measured step as its peer saw it; wallMs runs from the previous step's end to this one's. */
export const SimulatedStep = z.object({ wallMs: z.number(), computeMs: z.number(), exchangeMs: z.number() });
export type SimulatedStep = z.infer<typeof SimulatedStep>;

export const ScalingPeerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('opened'), port: z.number().int() }),
  z.object({ type: z.literal('formed') }),
  /**
   * `correct`: the first and the last step's sums equalled the exact sum on every element.
   * cpuUserMs/cpuSystemMs: this process's CPU time over the measured steps (the wait costs none;
   * system is mostly the kernel's socket copies).
   */
  z.object({
    type: z.literal('stepped'),
    steps: z.array(SimulatedStep),
    correct: z.boolean(),
    cpuUserMs: z.number(),
    cpuSystemMs: z.number(),
  }),
  z.object({ type: z.literal('failed'), name: z.string(), message: z.string() }),
]);
export type ScalingPeerEvent = z.infer<typeof ScalingPeerEvent>;
