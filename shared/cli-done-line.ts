import { z } from 'zod';
import { VariantSummary } from './compression-variant.js';

/**
 * The last line of `hpc-studio train|distill|quantize|prune --json`, as far as a script driving the
 * CLI reads it (bench/compression.ts); other fields are dropped.
 */
export const TrainDoneLine = z.object({
  type: z.literal('done'),
  runId: z.string(),
  testAccuracy: z.number().min(0).max(1),
});
export type TrainDoneLine = z.infer<typeof TrainDoneLine>;

/** One model a compression run made (the fp32 original first, labelled `fp32`), its accuracy measured. */
export const VariantLine = VariantSummary.required({ testAccuracy: true });
export type VariantLine = z.infer<typeof VariantLine>;

export const CompressionDoneLine = z.object({
  type: z.literal('done'),
  runId: z.string(),
  variants: z.array(VariantLine).min(1),
});
export type CompressionDoneLine = z.infer<typeof CompressionDoneLine>;
