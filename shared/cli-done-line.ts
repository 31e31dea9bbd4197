import { z } from 'zod';

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

/** One model a compression run made; the fp32 original comes first, labelled `fp32`. */
export const VariantLine = z.object({
  label: z.string(),
  modelId: z.string(),
  dtype: z.string().optional(),
  sparsity: z.number().min(0).max(1).optional(),
  sizeBytes: z.number().int().positive(),
  testAccuracy: z.number().min(0).max(1),
  samplesPerSec: z.number().nonnegative().optional(),
});
export type VariantLine = z.infer<typeof VariantLine>;

export const CompressionDoneLine = z.object({
  type: z.literal('done'),
  runId: z.string(),
  variants: z.array(VariantLine).min(1),
});
export type CompressionDoneLine = z.infer<typeof CompressionDoneLine>;
