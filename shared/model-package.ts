import { z } from 'zod';
import { INT8_SCHEMES, Sparsity } from './compression-job.js';
import { integerIn } from './integer-range.js';
import { MlpHidden, MODEL_KINDS } from './run-config.js';

/**
 * The app's own model format (`hpc-model`): a folder with `model.json` (this manifest) and
 * `weights.bin` (every tensor's bytes, little-endian, at the offsets the manifest gives).
 * docs/model-format.md describes it byte by byte. Readers refuse a newer version instead of guessing.
 */
export const MODEL_PACKAGE_FORMAT = 'hpc-model';
export const MODEL_PACKAGE_VERSION = 1;
export const MODEL_MANIFEST_FILE = 'model.json';
export const MODEL_WEIGHTS_FILE = 'weights.bin';
/** A manifest holds shapes, per-channel scales and metrics; anything near this is not one of ours. */
export const MAX_MODEL_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Per-axis and total element limits: far above any model the app trains, low enough that sizes stay exact integers. */
export const TENSOR_LIMITS = { rank: { min: 1, max: 6 }, dim: { min: 1, max: 1 << 24 }, elements: 2 ** 31 - 1 } as const;

export const TENSOR_ENCODINGS = ['float32', 'float16', 'int8', 'csr'] as const;
export type TensorEncoding = (typeof TENSOR_ENCODINGS)[number];

/** What a model can be exported as: the app's own package (any model), or TensorFlow.js's layers format where it can hold it. */
export const MODEL_EXPORT_FORMATS = [MODEL_PACKAGE_FORMAT, 'tfjs'] as const;
export type ModelExportFormat = (typeof MODEL_EXPORT_FORMATS)[number];

const name = z
  .string({ error: 'must be a tensor name of 1 to 200 characters' })
  .min(1, { error: 'must be a tensor name of 1 to 200 characters' })
  .max(200, { error: 'must be a tensor name of 1 to 200 characters' });

export const TensorShape = z
  .array(integerIn(TENSOR_LIMITS.dim.min, TENSOR_LIMITS.dim.max), { error: `must be a list of ${TENSOR_LIMITS.rank.min} to ${TENSOR_LIMITS.rank.max} sizes` })
  .min(TENSOR_LIMITS.rank.min, { error: `must be a list of ${TENSOR_LIMITS.rank.min} to ${TENSOR_LIMITS.rank.max} sizes` })
  .max(TENSOR_LIMITS.rank.max, { error: `must be a list of ${TENSOR_LIMITS.rank.min} to ${TENSOR_LIMITS.rank.max} sizes` })
  .refine((shape) => shape.reduce((a, b) => a * b, 1) <= TENSOR_LIMITS.elements, {
    error: `must hold at most ${TENSOR_LIMITS.elements} elements`,
  });

/** A byte range of `weights.bin`. */
export const ByteSection = z.object({
  offset: integerIn(0, Number.MAX_SAFE_INTEGER),
  length: integerIn(0, Number.MAX_SAFE_INTEGER),
});
export type ByteSection = z.infer<typeof ByteSection>;

const scale = z
  .number({ error: 'must be a finite number > 0' })
  .positive({ error: 'must be a finite number > 0' })
  .refine(Number.isFinite, { error: 'must be a finite number > 0' });

/**
 * int8 values `q` stand for `(q - zeroPoint) * scale`. Per-tensor: one scale and zero point.
 * Per-channel: one of each along `axis` (the output channel: the last axis of a dense kernel
 * `[in, out]` and of a conv filter `[h, w, in, out]`). Symmetric quantization has every zero point 0.
 */
export const Int8Quantization = z
  .object({
    granularity: z.enum(INT8_SCHEMES, { error: `must be one of: ${INT8_SCHEMES.join(', ')}` }),
    axis: integerIn(0, TENSOR_LIMITS.rank.max - 1).optional(),
    scales: z.array(scale, { error: 'must be a list of scales' }).min(1, { error: 'must hold at least one scale' }),
    zeroPoints: z.array(integerIn(-128, 127), { error: 'must be a list of zero points' }),
  })
  .superRefine((q, ctx) => {
    if (q.zeroPoints.length !== q.scales.length) {
      ctx.addIssue({ code: 'custom', path: ['zeroPoints'], message: `must hold one zero point per scale (${q.scales.length}), got ${q.zeroPoints.length}` });
    }
    if (q.granularity === 'per-tensor' && q.scales.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['scales'], message: `must hold exactly 1 scale for per-tensor quantization, got ${q.scales.length}` });
    }
    if (q.granularity === 'per-channel' && q.axis === undefined) {
      ctx.addIssue({ code: 'custom', path: ['axis'], message: 'must name the channel axis for per-channel quantization' });
    }
  });
export type Int8Quantization = z.infer<typeof Int8Quantization>;

const dense = <E extends 'float32' | 'float16'>(encoding: E) =>
  z.object({ name, shape: TensorShape, encoding: z.literal(encoding), data: ByteSection });

export const Float32TensorEntry = dense('float32');
export const Float16TensorEntry = dense('float16');
export const Int8TensorEntry = z.object({
  name,
  shape: TensorShape,
  encoding: z.literal('int8'),
  quantization: Int8Quantization,
  data: ByteSection,
});

/**
 * A tensor viewed as `[rows, cols]` (cols = its last axis, rows = the product of the others) in
 * compressed sparse rows: `rowPtr` (rows + 1 uint32), `colIdx` (nnz column numbers, uint16 when
 * cols ≤ 65536, else uint32), `values` (nnz float32, or int8 with `quantization` per column).
 */
export const CsrTensorEntry = z
  .object({
    name,
    shape: TensorShape,
    encoding: z.literal('csr'),
    nnz: integerIn(0, TENSOR_LIMITS.elements),
    indexType: z.enum(['uint16', 'uint32'], { error: 'must be one of: uint16, uint32' }),
    valueType: z.enum(['float32', 'int8'], { error: 'must be one of: float32, int8' }),
    quantization: Int8Quantization.optional(),
    rowPtr: ByteSection,
    colIdx: ByteSection,
    values: ByteSection,
  })
  .superRefine((t, ctx) => {
    if ((t.valueType === 'int8') !== (t.quantization !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['quantization'], message: 'must be given exactly when valueType is int8' });
    }
    if (t.quantization?.granularity === 'per-channel' && t.quantization.axis !== t.shape.length - 1) {
      ctx.addIssue({ code: 'custom', path: ['quantization', 'axis'], message: `must be the last axis (${t.shape.length - 1}): CSR columns are its channels` });
    }
  });

export const TensorEntry = z.discriminatedUnion('encoding', [Float32TensorEntry, Float16TensorEntry, Int8TensorEntry, CsrTensorEntry], {
  error: `encoding must be one of: ${TENSOR_ENCODINGS.join(', ')}`,
});
export type TensorEntry = z.infer<typeof TensorEntry>;

/** Enough to rebuild the network with `createModel(model, {task, inputShape, classes}, seed)`. */
export const ModelArchitecture = z
  .object({
    model: z.enum(MODEL_KINDS, { error: `must be one of: ${MODEL_KINDS.join(', ')}` }),
    task: z.enum(['classification', 'regression'], { error: 'must be one of: classification, regression' }),
    inputShape: z
      .array(integerIn(1, 65536), { error: 'must be a list of 1 to 3 sizes' })
      .min(1, { error: 'must be a list of 1 to 3 sizes' })
      .max(3, { error: 'must be a list of 1 to 3 sizes' }),
    classes: integerIn(2, 100_000).optional(),
    /** An mlp's hidden widths when not the default (a distilled student's `mlp:64`). */
    hidden: MlpHidden.optional(),
  })
  .superRefine((a, ctx) => {
    if ((a.task === 'classification') !== (a.classes !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'must be given for classification and only then' });
    }
  });
export type ModelArchitecture = z.infer<typeof ModelArchitecture>;

const fraction01 = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, { error: 'must be a number from 0 to 1' })
  .max(1, { error: 'must be a number from 0 to 1' });
const nonNegative = z.number({ error: 'must be a finite number ≥ 0' }).min(0, { error: 'must be a finite number ≥ 0' }).refine(Number.isFinite, {
  error: 'must be a finite number ≥ 0',
});

/** How far a tensor's restored values are from the original's. */
export const TensorError = z.object({
  name,
  maxAbsError: nonNegative,
  rmse: nonNegative,
  /** rmse / the original tensor's RMS (0 when both are 0). */
  relativeRmse: nonNegative,
});
export type TensorError = z.infer<typeof TensorError>;

export const ModelMetrics = z.object({
  /** Bytes of `weights.bin`, what compression shrinks (model.json adds the shapes and scales). */
  sizeBytes: integerIn(0, Number.MAX_SAFE_INTEGER),
  /** Absent when not measured, and for regression. */
  testAccuracy: fraction01.optional(),
  samplesPerSec: nonNegative.optional(),
  /** `dequantized-fp32`: inference restores float32 weights first; `int8`: it runs on int8 kernels. */
  inferencePath: z.enum(['fp32', 'dequantized-fp32', 'int8'], { error: 'must be one of: fp32, dequantized-fp32, int8' }).optional(),
  layerErrors: z.array(TensorError).optional(),
});
export type ModelMetrics = z.infer<typeof ModelMetrics>;

export const ModelId = z
  .string({ error: 'must be 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'must be 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' });

const runId = z.string({ error: 'must be a run id' }).min(1, { error: 'must be a run id' }).max(200, { error: 'must be a run id' });

/** Which compression made a model, with its settings. */
export const CompressionSettings = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('none') }),
    z.object({
      kind: z.literal('quantization'),
      dtype: z.enum(['int8', 'float16'], { error: 'must be one of: int8, float16' }),
      granularity: z.enum(INT8_SCHEMES, { error: `must be one of: ${INT8_SCHEMES.join(', ')}` }).optional(),
      symmetric: z.boolean({ error: 'must be true or false' }).optional(),
      /** Examples of the held-out slice activation ranges were calibrated on. */
      calibrationSamples: integerIn(1, 10_000_000).optional(),
    }),
    z.object({
      kind: z.literal('pruning'),
      sparsity: Sparsity,
      schedule: z.enum(['one-shot', 'gradual'], { error: 'must be one of: one-shot, gradual' }),
      finetuneEpochs: integerIn(0, 10_000),
      /** Whether the pruned values were then stored as int8. */
      valueType: z.enum(['float32', 'int8'], { error: 'must be one of: float32, int8' }).optional(),
    }),
    z.object({
      kind: z.literal('distillation'),
      teacherRunId: runId,
      temperature: z.number({ error: 'must be a number > 0 and ≤ 100' }).gt(0, { error: 'must be a number > 0 and ≤ 100' }).max(100, {
        error: 'must be a number > 0 and ≤ 100',
      }),
      alpha: fraction01,
    }),
  ],
  { error: 'kind must be one of: none, quantization, pruning, distillation' },
);
export type CompressionSettings = z.infer<typeof CompressionSettings>;

export const ModelLineage = z.object({
  sourceRunId: runId,
  compression: CompressionSettings,
  /** The package this one was made from, when it was not made from the run's checkpoint. */
  parentModelId: ModelId.optional(),
  /** ms since the Unix epoch. */
  createdAt: z.number({ error: 'must be a time in ms since 1970' }).int({ error: 'must be a time in ms since 1970' }).min(0, {
    error: 'must be a time in ms since 1970',
  }),
});
export type ModelLineage = z.infer<typeof ModelLineage>;

const sha256 = z.string({ error: 'must be 64 lowercase hex digits' }).regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' });

/**
 * A layer's output range seen over the calibration slice (held-out examples), and the asymmetric
 * int8 parameters an int8 inference path quantizes that activation with; `layer: "input"` is the
 * model's input.
 */
export const ActivationRange = z
  .object({
    layer: name,
    min: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, { error: 'must be a finite number' }),
    max: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, { error: 'must be a finite number' }),
    scale,
    zeroPoint: integerIn(-128, 127),
  })
  .refine((r) => r.min <= r.max, { error: 'min must be ≤ max', path: ['min'] });
export type ActivationRange = z.infer<typeof ActivationRange>;

const ELEMENT_BYTES = { float32: 4, float16: 2, int8: 1, uint16: 2, uint32: 4 } as const;

/** Every byte section a tensor entry names, with the length its shape requires. */
export function tensorSections(t: TensorEntry): { field: string; section: ByteSection; expected: number }[] {
  const size = t.shape.reduce((a, b) => a * b, 1);
  switch (t.encoding) {
    case 'float32':
    case 'float16':
    case 'int8':
      return [{ field: 'data', section: t.data, expected: size * ELEMENT_BYTES[t.encoding] }];
    case 'csr': {
      const rows = size / t.shape[t.shape.length - 1]!;
      return [
        { field: 'rowPtr', section: t.rowPtr, expected: (rows + 1) * 4 },
        { field: 'colIdx', section: t.colIdx, expected: t.nnz * ELEMENT_BYTES[t.indexType] },
        { field: 'values', section: t.values, expected: t.nnz * ELEMENT_BYTES[t.valueType] },
      ];
    }
  }
}

export const ModelManifest = z
  .object({
    format: z.literal(MODEL_PACKAGE_FORMAT, { error: `must be "${MODEL_PACKAGE_FORMAT}"` }),
    version: integerIn(1, MODEL_PACKAGE_VERSION),
    id: ModelId,
    architecture: ModelArchitecture,
    tensors: z.array(TensorEntry).min(1, { error: 'must list at least one tensor' }).max(10_000, { error: 'must list at most 10000 tensors' }),
    weights: z.object({
      file: z.literal(MODEL_WEIGHTS_FILE, { error: `must be "${MODEL_WEIGHTS_FILE}"` }),
      byteLength: integerIn(0, Number.MAX_SAFE_INTEGER),
      sha256,
    }),
    /** Present when activation ranges were calibrated for int8 inference. */
    activations: z.array(ActivationRange).optional(),
    metrics: ModelMetrics,
    lineage: ModelLineage,
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.tensors.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tensors', i, 'name'], message: `${JSON.stringify(t.name)} is listed twice` });
      seen.add(t.name);
      const q = t.encoding === 'int8' || t.encoding === 'csr' ? t.quantization : undefined;
      if (q?.granularity === 'per-channel') {
        const axis = q.axis!;
        if (axis >= t.shape.length) {
          ctx.addIssue({ code: 'custom', path: ['tensors', i, 'quantization', 'axis'], message: `must be from 0 to ${t.shape.length - 1} for shape [${t.shape.join(', ')}]` });
        } else if (q.scales.length !== t.shape[axis]) {
          ctx.addIssue({
            code: 'custom',
            path: ['tensors', i, 'quantization', 'scales'],
            message: `must hold one scale per channel of axis ${axis} (${t.shape[axis]}), got ${q.scales.length}`,
          });
        }
      }
      for (const { field, section, expected } of tensorSections(t)) {
        if (section.length !== expected) {
          ctx.addIssue({
            code: 'custom',
            path: ['tensors', i, field, 'length'],
            message: `is ${section.length} bytes, but ${t.name} of shape [${t.shape.join(', ')}] needs ${expected}`,
          });
        } else if (section.offset + section.length > m.weights.byteLength) {
          ctx.addIssue({
            code: 'custom',
            path: ['tensors', i, field, 'offset'],
            message: `out of range: bytes ${section.offset}…${section.offset + section.length} of ${t.name} lie past the end of ${MODEL_WEIGHTS_FILE} (${m.weights.byteLength} bytes)`,
          });
        }
      }
    });
    if (m.metrics.sizeBytes !== m.weights.byteLength) {
      ctx.addIssue({ code: 'custom', path: ['metrics', 'sizeBytes'], message: `must equal weights.byteLength (${m.weights.byteLength})` });
    }
  });
export type ModelManifest = z.infer<typeof ModelManifest>;
