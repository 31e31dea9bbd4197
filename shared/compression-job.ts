import { z } from 'zod';
import { integerIn } from './integer-range.js';

/** Accepted ranges, shared by the schema, the CLI help and the Compress form. */
export const COMPRESSION_LIMITS = {
  sparsities: { min: 1, max: 10 },
  finetuneEpochs: { min: 0, max: 100 },
  calibrationSamples: { min: 1, max: 10_000 },
} as const;

export const INT8_SCHEMES = ['per-channel', 'per-tensor'] as const;
export const QUANTIZED_DTYPES = ['int8', 'float16'] as const;
export const PRUNING_SCHEDULES = ['one-shot', 'gradual'] as const;
export const DEFAULT_SPARSITIES = [0.5, 0.75, 0.9] as const;

/** A pruning target: the share of a layer's weights set to zero, strictly between 0 and 1. */
export const Sparsity = z
  .number({ error: 'must be a number > 0 and < 1' })
  .gt(0, { error: 'must be a number > 0 and < 1' })
  .lt(1, { error: 'must be a number > 0 and < 1' });

const sourceRunId = z.string({ error: 'must be a run id' }).min(1, { error: 'must be a run id' }).max(100, { error: 'must be a run id' });

/**
 * Post-training quantization of a finished run's model: one variant per dtype, each measured
 * against the fp32 original. int8 activation ranges are calibrated on `calibrationSamples`
 * held-out (validation) examples.
 */
export const QuantizationJob = z.object({
  kind: z.literal('quantization'),
  sourceRunId,
  dtypes: z
    .array(z.enum(QUANTIZED_DTYPES, { error: `must be one of: ${QUANTIZED_DTYPES.join(', ')}` }), { error: `must be a list of: ${QUANTIZED_DTYPES.join(', ')}` })
    .min(1, { error: `must be a list of: ${QUANTIZED_DTYPES.join(', ')}` })
    .max(QUANTIZED_DTYPES.length, { error: `must be a list of: ${QUANTIZED_DTYPES.join(', ')}` })
    .refine((d) => new Set(d).size === d.length, { error: 'must not name a dtype twice' })
    .default(['int8']),
  scheme: z.enum(INT8_SCHEMES, { error: `must be one of: ${INT8_SCHEMES.join(', ')}` }).default('per-channel'),
  symmetric: z.boolean({ error: 'must be true or false' }).default(true),
  calibrationSamples: integerIn(COMPRESSION_LIMITS.calibrationSamples.min, COMPRESSION_LIMITS.calibrationSamples.max).default(1000),
});
export type QuantizationJob = z.infer<typeof QuantizationJob>;

/**
 * Magnitude pruning of a finished run's model to each target sparsity, each from the original
 * weights: `one-shot` prunes once and fine-tunes with the mask held; `gradual` raises the sparsity
 * over the fine-tuning epochs (Zhu & Gupta's cubic schedule), so it needs at least one.
 */
export const PruningJob = z
  .object({
    kind: z.literal('pruning'),
    sourceRunId,
    sparsities: z
      .array(Sparsity, { error: 'must be a list of sparsities, each > 0 and < 1' })
      .min(COMPRESSION_LIMITS.sparsities.min, { error: `must be a list of ${COMPRESSION_LIMITS.sparsities.min} to ${COMPRESSION_LIMITS.sparsities.max} sparsities` })
      .max(COMPRESSION_LIMITS.sparsities.max, { error: `must be a list of ${COMPRESSION_LIMITS.sparsities.min} to ${COMPRESSION_LIMITS.sparsities.max} sparsities` })
      .refine((s) => new Set(s).size === s.length, { error: 'must not name a sparsity twice' })
      .default([...DEFAULT_SPARSITIES]),
    finetuneEpochs: integerIn(COMPRESSION_LIMITS.finetuneEpochs.min, COMPRESSION_LIMITS.finetuneEpochs.max).default(2),
    schedule: z.enum(PRUNING_SCHEDULES, { error: `must be one of: ${PRUNING_SCHEDULES.join(', ')}` }).default('one-shot'),
  })
  .superRefine((job, ctx) => {
    if (job.schedule === 'gradual' && job.finetuneEpochs === 0) {
      ctx.addIssue({ code: 'custom', path: ['finetuneEpochs'], message: 'must be at least 1 for gradual pruning: the sparsity rises over the fine-tuning epochs' });
    }
  });
export type PruningJob = z.infer<typeof PruningJob>;

/** A compression run's job (`RunConfig.compression`): what it makes from which finished run. */
export const CompressionJob = z.discriminatedUnion('kind', [QuantizationJob, PruningJob], { error: 'kind must be one of: quantization, pruning' });
export type CompressionJob = z.infer<typeof CompressionJob>;

/** `int8 per-channel symmetric of run-…`, `pruned to 50 / 75 / 90 % (one-shot, 2 fine-tuning epochs) of run-…`. */
export function describeCompression(job: CompressionJob): string {
  if (job.kind === 'quantization') {
    const int8 = job.dtypes.includes('int8') ? ` (int8 ${job.scheme}, ${job.symmetric ? 'symmetric' : 'asymmetric'})` : '';
    return `quantized to ${job.dtypes.join(' and ')}${int8} from run ${job.sourceRunId}`;
  }
  const targets = job.sparsities.map((s) => Math.round(s * 1000) / 10).join(' / ');
  return `pruned to ${targets} % (${job.schedule}, ${job.finetuneEpochs} fine-tuning epoch${job.finetuneEpochs === 1 ? '' : 's'}) from run ${job.sourceRunId}`;
}

/** What the run list calls a compression run. */
export const COMPRESSION_VERBS: Record<CompressionJob['kind'], string> = { quantization: 'quantized', pruning: 'pruned' };
