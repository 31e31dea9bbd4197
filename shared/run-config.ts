import { z } from 'zod';
import { CompressionJob } from './compression-job.js';
import { Distribution } from './distributed.js';
import { integerIn } from './integer-range.js';

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const MODEL_KINDS = ['linear', 'mlp', 'cnn'] as const;
export const OPTIMIZER_KINDS = ['sgd', 'momentum', 'adam'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Accepted ranges, shared by the schema, the CLI help and the form hints. */
export const LIMITS = {
  lr: { min: 0, max: 10 },
  batchSize: { min: 1, max: 65536 },
  epochs: { min: 1, max: 10000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  limit: { min: 1, max: 10_000_000 },
  everyEpochs: { min: 1, max: 1000 },
  warmupSteps: { min: 0, max: 100_000 },
  patience: { min: 1, max: 1000 },
  imageSize: { min: 8, max: 128 },
  splitFraction: { min: 0, max: 0.5 },
  /** An mlp's hidden layers: how many, and each one's width. */
  hiddenLayers: { min: 1, max: 8 },
  hiddenWidth: { min: 1, max: 4096 },
  temperature: { min: 0.5, max: 20 },
  alpha: { min: 0, max: 1 },
} as const;

/** What plain `mlp` means: input → 256 ReLU → 128 ReLU → outputs. */
export const DEFAULT_MLP_HIDDEN = [256, 128] as const;
export const DEFAULT_DISTILLATION = { temperature: 4, alpha: 0.5 } as const;

export const SCHEDULE_KINDS = ['step', 'cosine'] as const;

const int = (name: string, min: number, max: number) => integerIn(min, max).describe(name);

export const LearningRate = z
  .number({ error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` })
  .gt(LIMITS.lr.min, { error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` })
  .max(LIMITS.lr.max, { error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` });

export const BatchSize = int('batchSize', LIMITS.batchSize.min, LIMITS.batchSize.max);

const fraction = z
  .number({ error: `must be a number from ${LIMITS.splitFraction.min} to ${LIMITS.splitFraction.max}` })
  .min(LIMITS.splitFraction.min, { error: `must be a number from ${LIMITS.splitFraction.min} to ${LIMITS.splitFraction.max}` })
  .max(LIMITS.splitFraction.max, { error: `must be a number from ${LIMITS.splitFraction.min} to ${LIMITS.splitFraction.max}` });

export const DEFAULT_IMAGE_SPLIT = { mode: 'ratio', validation: 0.1, test: 0.1 } as const;

/**
 * How an image folder becomes train/validation/test: `ratio` holds out a seeded share of each
 * class; `folders` reads the user's own `train/`, `val/` and `test/` subfolders.
 */
export const ImageSplit = z.discriminatedUnion(
  'mode',
  [
    z.object({ mode: z.literal('ratio'), validation: fraction, test: fraction }),
    z.object({ mode: z.literal('folders') }),
  ],
  { error: 'must be {mode: "ratio", validation, test} or {mode: "folders"}' },
);
export type ImageSplit = z.infer<typeof ImageSplit>;

/** A folder with one subfolder of PNG/JPEG files per class (or train/, val/, test/ each holding those). */
export const ImageFolderSpec = z.object({
  kind: z.literal('images'),
  dir: z.string({ error: 'must be a folder path' }).min(1, { error: 'must be a folder path' }),
  split: ImageSplit.default(DEFAULT_IMAGE_SPLIT),
  /** The side images are resized to; default 28 for grey, 32 for RGB. */
  imageSize: int('imageSize', LIMITS.imageSize.min, LIMITS.imageSize.max).optional(),
  channels: z
    .union([z.literal('auto'), z.literal(1), z.literal(3)], { error: 'must be one of: auto, 1, 3' })
    .default('auto'),
});
export type ImageFolderSpec = z.infer<typeof ImageFolderSpec>;

export const DatasetSpec = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('fashion-mnist'),
      dir: z.string({ error: 'must be a folder path' }).min(1, { error: 'must be a folder path' }),
    }),
    z.object({
      kind: z.literal('csv'),
      path: z.string({ error: 'must be a CSV file path' }).min(1, { error: 'must be a CSV file path' }),
      target: z.string({ error: 'must name a column of the CSV' }).min(1, { error: 'must name a column of the CSV' }),
    }),
    ImageFolderSpec,
  ],
  { error: 'must be one of: fashion-mnist, csv:FILE, images:DIR' },
);
export type DatasetSpec = z.infer<typeof DatasetSpec>;
export const DATASET_KINDS = DatasetSpec.options.map((o) => o.shape.kind.value);

const nonNegative = () => z.number({ error: 'must be a finite number ≥ 0' }).min(0, { error: 'must be a finite number ≥ 0' });

/** How the lr changes over the run; absent means constant. */
export const LrSchedule = z.discriminatedUnion(
  'kind',
  [
    /** The lr is multiplied by `gamma` every `everyEpochs` epochs. */
    z.object({
      kind: z.literal('step'),
      everyEpochs: int('everyEpochs', LIMITS.everyEpochs.min, LIMITS.everyEpochs.max),
      gamma: z
        .number({ error: 'must be a number > 0 and ≤ 1' })
        .gt(0, { error: 'must be a number > 0 and ≤ 1' })
        .max(1, { error: 'must be a number > 0 and ≤ 1' }),
    }),
    /** Half a cosine from the lr down to `minLr` over the whole run. */
    z.object({ kind: z.literal('cosine'), minLr: nonNegative() }),
  ],
  { error: `must be one of: ${SCHEDULE_KINDS.join(', ')}` },
);
export type LrSchedule = z.infer<typeof LrSchedule>;

/** Stop when the validation loss has not improved by more than `minDelta` for `patience` epochs. */
export const EarlyStopping = z.object({
  patience: int('patience', LIMITS.patience.min, LIMITS.patience.max),
  minDelta: nonNegative(),
});
export type EarlyStopping = z.infer<typeof EarlyStopping>;

const between = (min: number, max: number) => {
  const error = `must be a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
};
export const Temperature = between(LIMITS.temperature.min, LIMITS.temperature.max);
export const DistillationAlpha = between(LIMITS.alpha.min, LIMITS.alpha.max);

/**
 * Knowledge distillation (Hinton et al. 2015): the run is a student trained on
 * alpha · CE(student, labels) + (1 − alpha) · T² · KL(softmax(teacher/T) ‖ softmax(student/T)),
 * its teacher a finished classification run on the same dataset with more parameters.
 */
export const Distillation = z.object({
  teacherRunId: z.string({ error: 'must be a run id' }).min(1, { error: 'must be a run id' }).max(100, { error: 'must be a run id' }),
  temperature: Temperature.default(DEFAULT_DISTILLATION.temperature),
  /** The weight of the hard-label loss; the teacher's soft targets get 1 − alpha. */
  alpha: DistillationAlpha.default(DEFAULT_DISTILLATION.alpha),
});
export type Distillation = z.infer<typeof Distillation>;

/** An mlp's hidden layer widths, input side first. */
export const MlpHidden = z
  .array(int('hidden', LIMITS.hiddenWidth.min, LIMITS.hiddenWidth.max), { error: `must be a list of ${LIMITS.hiddenLayers.min}–${LIMITS.hiddenLayers.max} layer widths` })
  .min(LIMITS.hiddenLayers.min, { error: `must be a list of ${LIMITS.hiddenLayers.min}–${LIMITS.hiddenLayers.max} layer widths` })
  .max(LIMITS.hiddenLayers.max, { error: `must be a list of ${LIMITS.hiddenLayers.min}–${LIMITS.hiddenLayers.max} layer widths` });

export const RunConfig = z.object({
  dataset: DatasetSpec,
  model: z.enum(MODEL_KINDS, { error: `must be one of: ${MODEL_KINDS.join(', ')}` }),
  epochs: int('epochs', LIMITS.epochs.min, LIMITS.epochs.max),
  batchSize: BatchSize,
  lr: LearningRate,
  optimizer: z.enum(OPTIMIZER_KINDS, { error: `must be one of: ${OPTIMIZER_KINDS.join(', ')}` }),
  seed: int('seed', LIMITS.seed.min, LIMITS.seed.max),
  /** Use only the first N training examples. */
  limit: int('limit', LIMITS.limit.min, LIMITS.limit.max).optional(),
  schedule: LrSchedule.optional(),
  /** Steps over which the lr ramps linearly from lr/warmupSteps up to the scheduled lr; absent = 0. */
  warmupSteps: int('warmupSteps', LIMITS.warmupSteps.min, LIMITS.warmupSteps.max).optional(),
  earlyStopping: EarlyStopping.optional(),
  /** Absent: one trainer. */
  distribution: Distribution.optional(),
  /** The mlp's hidden widths, input side first; absent: DEFAULT_MLP_HIDDEN. */
  hidden: MlpHidden.optional(),
  distillation: Distillation.optional(),
  /** A compression run: it makes smaller variants of a finished run's model instead of training one. */
  compression: CompressionJob.optional(),
}).superRefine((config, ctx) => {
  if (config.hidden !== undefined && config.model !== 'mlp') {
    ctx.addIssue({ code: 'custom', path: ['hidden'], message: `only for the mlp model (got model ${config.model})` });
  }
  if (config.distillation !== undefined && config.distribution !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['distillation'], message: 'a distilled run trains on one trainer; leave out distribution' });
  }
  if (config.compression !== undefined && (config.distribution !== undefined || config.distillation !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['compression'], message: 'a compression run runs on one trainer from a finished run; leave out distribution and distillation' });
  }
});
export type RunConfig = z.infer<typeof RunConfig>;

export const DEFAULT_RUN_CONFIG: RunConfig = {
  dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR },
  model: 'mlp',
  epochs: 3,
  batchSize: 64,
  lr: 0.001,
  optimizer: 'adam',
  seed: 42,
};

/** An image folder's options as typed on a command line; checked by the schema, not here. */
export interface ImageFolderArgs {
  split?: unknown;
  imageSize?: unknown;
  channels?: unknown;
}

/** `fashion-mnist`, `csv:FILE` or `images:DIR`, the form the CLI and the UI's dataset field accept. */
export function parseDatasetArg(arg: string, fashionMnistDir: string, target?: string, images: ImageFolderArgs = {}): unknown {
  if (arg === 'fashion-mnist') return { kind: 'fashion-mnist', dir: fashionMnistDir };
  if (arg.startsWith('csv:')) return { kind: 'csv', path: arg.slice(4), target: target ?? '' };
  if (arg.startsWith('images:')) return { kind: 'images', dir: arg.slice(7), ...images };
  return { kind: arg };
}

export function describeDataset(spec: DatasetSpec): string {
  if (spec.kind === 'csv') return `csv:${spec.path}`;
  if (spec.kind === 'images') return `images:${spec.dir}`;
  return spec.kind;
}
