import { z } from 'zod';
import { CompressionSettings, ModelId, ModelMetrics } from './model-package.js';

/** One layer's share of exact zeros in a pruned model. */
export const LayerSparsityRow = z.object({
  name: z.string(),
  size: z.number().int().min(0),
  zeros: z.number().int().min(0),
  /** zeros / size. */
  sparsity: z.number().min(0).max(1),
  /** Kernels are pruned; biases stay dense. */
  prunable: z.boolean(),
});
export type LayerSparsityRow = z.infer<typeof LayerSparsityRow>;

/**
 * One model a compression run made and measured (the fp32 original first, `compression.kind:
 * "none"`), stored as the `hpc-model` package `modelId` = `<runId>.<label>`.
 */
export const CompressedVariant = z.object({
  modelId: ModelId,
  /** `fp32`, `int8`, `float16`, `sparse-75`: unique within its run. */
  label: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,39}$/),
  compression: CompressionSettings,
  metrics: ModelMetrics,
  /** Pruned variants: each layer's measured sparsity. */
  layers: z.array(LayerSparsityRow).optional(),
});
export type CompressedVariant = z.infer<typeof CompressedVariant>;

/**
 * Folds a run's `variant` event into its variants: each is announced when stored, then again with
 * its samples/s once the run has timed them all side by side, which replaces the first.
 */
export function putVariant(variants: CompressedVariant[], variant: CompressedVariant): void {
  const at = variants.findIndex((v) => v.label === variant.label);
  if (at === -1) variants.push(variant);
  else variants[at] = variant;
}

/** A compression run times its models in this many rounds, each model once a round; its fastest pass counts. */
export const INFERENCE_TIMING_ROUNDS = 5;

/** A variant as the CLI's `--json` done line lists it. */
export const VariantSummary = z.object({
  label: z.string(),
  modelId: z.string(),
  /** `float32` for the original, else the quantized dtype. */
  dtype: z.string().optional(),
  sparsity: z.number().min(0).max(1).optional(),
  sizeBytes: z.number().int().positive(),
  /** Absent for regression. */
  testAccuracy: z.number().min(0).max(1).optional(),
  samplesPerSec: z.number().nonnegative().optional(),
  /** How samplesPerSec was reached: `int8` kernels, or `dequantized-fp32` / `fp32` weights. */
  inferencePath: ModelMetrics.shape.inferencePath,
});
export type VariantSummary = z.infer<typeof VariantSummary>;

export function variantSummary(v: CompressedVariant): VariantSummary {
  const c = v.compression;
  return {
    label: v.label,
    modelId: v.modelId,
    ...(c.kind === 'quantization' ? { dtype: c.dtype } : c.kind === 'none' ? { dtype: 'float32' } : {}),
    ...(c.kind === 'pruning' ? { sparsity: c.sparsity } : {}),
    sizeBytes: v.metrics.sizeBytes,
    testAccuracy: v.metrics.testAccuracy,
    samplesPerSec: v.metrics.samplesPerSec,
    inferencePath: v.metrics.inferencePath,
  };
}
