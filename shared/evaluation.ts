import { z } from 'zod';

/**
 * A finished run's evaluation on its test split, computed by a trainer child from the run's
 * best checkpoint (else its latest), cached beside the run as `evaluation.json`.
 */

/** The trainer's checkpoint files in a run's `checkpoints/`: the latest resumes, the best (lowest validation loss) is evaluated. */
export const CHECKPOINT_FILES = { latest: 'latest.ckpt', best: 'best.ckpt' } as const;

/** At most this many misclassified test examples are kept, with their images. */
export const MISCLASSIFIED_LIMIT = 48;
/** At most this many predicted-vs-actual points are kept (evenly spaced over the test set). */
export const REGRESSION_POINTS_LIMIT = 2000;

const count = z.number().int().min(0);

export const ClassMetrics = z.object({
  className: z.string(),
  /** Of the examples predicted as this class, the share that are; 0 when none was predicted. */
  precision: z.number(),
  /** Of the examples of this class, the share predicted as it; 0 when the class has none. */
  recall: z.number(),
  f1: z.number(),
  /** Test examples of this class. */
  support: count,
});
export type ClassMetrics = z.infer<typeof ClassMetrics>;

export const Misclassified = z.object({
  /** Row of the test split. */
  index: count,
  trueClass: count,
  predictedClass: count,
  /** Softmax probability of the predicted class, 0–1. */
  confidence: z.number(),
  /** The input as a PNG data URL, when it is an image (H×W×C, C = 1 or 3). */
  image: z.string().startsWith('data:image/png;base64,').optional(),
});
export type Misclassified = z.infer<typeof Misclassified>;

export const ClassificationEvaluation = z.object({
  task: z.literal('classification'),
  testSize: count,
  classNames: z.array(z.string()),
  /** Counts: rows are the true class, columns the predicted class. */
  confusion: z.array(z.array(count)),
  perClass: z.array(ClassMetrics),
  /** Diagonal ÷ total. */
  accuracy: z.number(),
  macroF1: z.number(),
  misclassifiedTotal: count,
  /** The first MISCLASSIFIED_LIMIT misclassified test examples, in test-set order. */
  misclassified: z.array(Misclassified),
});
export type ClassificationEvaluation = z.infer<typeof ClassificationEvaluation>;

export const RegressionEvaluation = z.object({
  task: z.literal('regression'),
  testSize: count,
  target: z.string(),
  /** [actual, predicted] in the CSV's units: all test rows, or REGRESSION_POINTS_LIMIT of them evenly spaced. */
  points: z.array(z.tuple([z.number(), z.number()])),
  mae: z.number(),
  rmse: z.number(),
  /** 1 − SSres/SStot over the test split; 0 when the actual values are all equal and the fit is not exact. */
  r2: z.number(),
  /** Mean of predicted − actual (bias). */
  meanResidual: z.number(),
  maxAbsResidual: z.number(),
});
export type RegressionEvaluation = z.infer<typeof RegressionEvaluation>;

export const Evaluation = z.discriminatedUnion('task', [ClassificationEvaluation, RegressionEvaluation]);
export type Evaluation = z.infer<typeof Evaluation>;

/** Which checkpoint an evaluation came from; a different hash means it is stale. */
export const EvaluationSource = z.object({
  checkpoint: z.enum(['best', 'latest']),
  /** Training step and epoch the checkpoint was taken at. */
  step: z.number().int(),
  epoch: z.number().int(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EvaluationSource = z.infer<typeof EvaluationSource>;

/** The trainer's answer to `evaluate`. */
export const EvaluationEvent = z.object({
  type: z.literal('evaluation'),
  time: z.number(),
  source: EvaluationSource,
  evaluation: Evaluation,
});
export type EvaluationEvent = z.infer<typeof EvaluationEvent>;

export const EVALUATION_FILE_VERSION = 1;

/** `runs/<id>/evaluation.json` and what `getEvaluation` returns. */
export const RunEvaluation = z.object({
  version: z.number().int().min(1),
  runId: z.string(),
  computedAt: z.number(),
  source: EvaluationSource,
  evaluation: Evaluation,
});
export type RunEvaluation = z.infer<typeof RunEvaluation>;

/** While an evaluation is computed: loading the data, then predicting the test set. */
export const EvaluationProgress = z.object({
  runId: z.string(),
  phase: z.enum(['load-data', 'evaluate']),
  done: z.number(),
  total: z.number(),
});
export type EvaluationProgress = z.infer<typeof EvaluationProgress>;
