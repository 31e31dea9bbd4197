import { z } from 'zod';
import { MAX_MESSAGE_BYTES } from './rpc-protocol.js';
import { integerIn } from './integer-range.js';
import { ModelId, ModelManifest, type ModelArchitecture } from './model-package.js';

/**
 * Serving a model: a deployed model answers `predict` with each row's output. The same messages
 * cross the host↔agent WebSocket and the agent↔predictor-child IPC, so one set of limits holds.
 */

/**
 * weights.bin travels base64 inside one API message (4/3 of its size) beside its manifest, so it
 * must stay well under MAX_MESSAGE_BYTES (22 MiB): 15 MiB of weights is 20 MiB of base64. Every
 * model the app trains is far smaller (the cnn is under 1 MiB).
 */
export const MAX_DEPLOY_WEIGHTS_BYTES = 15 * 1024 * 1024;
const MAX_WEIGHTS_BASE64 = Math.ceil(MAX_DEPLOY_WEIGHTS_BYTES / 3) * 4;

/** Rows per predict request: enough to keep a peer busy, few enough that one request never hogs it. */
export const MAX_PREDICT_ROWS = 4096;
/**
 * Numbers per predict request: 3,000,000 float32 are 12 MiB, 16 MiB in base64, under
 * MAX_MESSAGE_BYTES (22 MiB) with room for the envelope (about 3,800 Fashion-MNIST rows).
 */
export const MAX_PREDICT_VALUES = 3_000_000;
const MAX_ROWS_BASE64 = Math.ceil((MAX_PREDICT_VALUES * 4) / 3) * 4;
if (MAX_ROWS_BASE64 + 1024 * 1024 > MAX_MESSAGE_BYTES) throw new Error('MAX_PREDICT_VALUES does not fit one API message');

/**
 * A batch of input rows, each the model's input flattened (a 28×28×1 image is 784 numbers), as
 * `rows × width` float32 little-endian in base64: the model computes in float32 anyway, and
 * numbers as JSON text cost several times the bytes and a parse of each on every hop.
 */
export const RowBatch = z
  .object({
    rows: integerIn(1, MAX_PREDICT_ROWS),
    width: integerIn(1, MAX_PREDICT_VALUES),
    float32Base64: z
      .string({ error: 'must be the rows as float32 little-endian, base64' })
      .max(MAX_ROWS_BASE64, { error: `must hold at most ${MAX_PREDICT_VALUES} numbers per request; send fewer rows` })
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be the rows as float32 little-endian, base64' }),
  })
  .superRefine((b, ctx) => {
    if (b.rows * b.width > MAX_PREDICT_VALUES) {
      ctx.addIssue({ code: 'custom', path: ['rows'], message: `${b.rows} rows of ${b.width} values exceed ${MAX_PREDICT_VALUES} numbers per request; send fewer rows` });
      return;
    }
    const expected = Math.ceil((b.rows * b.width * 4) / 3) * 4;
    if (b.float32Base64.length !== expected) {
      ctx.addIssue({ code: 'custom', path: ['float32Base64'], message: `must hold ${b.rows} × ${b.width} float32 (${expected} base64 characters), got ${b.float32Base64.length}` });
    }
  });
export type RowBatch = z.infer<typeof RowBatch>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' });

/** A model package as it travels to an agent: its manifest and its weights.bin in base64. */
export const DeployModelParams = z.object({
  manifest: ModelManifest,
  weightsBase64: z
    .string({ error: 'must be weights.bin in base64' })
    .max(MAX_WEIGHTS_BASE64, { error: `must be at most ${MAX_DEPLOY_WEIGHTS_BYTES} bytes of weights (${MAX_WEIGHTS_BASE64} base64 characters)` })
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be weights.bin in base64' }),
});
export type DeployModelParams = z.infer<typeof DeployModelParams>;

export const DeployedModel = z.object({
  modelId: ModelId,
  /** weights.bin's sha256 as the agent computed it: the same as the manifest's, or it would have refused. */
  sha256: Sha256Hex,
  /** The TensorFlow.js backend the predictor runs on, e.g. "tensorflow" or "hpc-native (OpenBLAS …)". */
  backend: z.string().max(600),
});
export type DeployedModel = z.infer<typeof DeployedModel>;

export const PredictParams = z.object({ modelId: ModelId, batch: RowBatch });
export type PredictParams = z.infer<typeof PredictParams>;

/** Each row's answer: for classification the class probabilities and the most likely class; for regression the value. */
export const Predictions = z.object({
  /** Per row: probabilities over the classes (softmax), or `[value]` for regression. */
  outputs: z.array(z.array(z.number())),
  /** Per row, classification only: the argmax of its probabilities. */
  classIds: z.array(z.number().int().min(0)).optional(),
  /** Milliseconds the model took on this batch in the predictor (tensor work only). */
  computeMs: z.number().min(0),
});
export type Predictions = z.infer<typeof Predictions>;

export const PredictResult = Predictions.extend({
  /** Milliseconds from the request's arrival at the agent to its answer: compute plus the hop to its predictor. */
  serverMs: z.number().min(0),
});
export type PredictResult = z.infer<typeof PredictResult>;

export const DeploymentSummary = z.object({
  modelId: ModelId,
  sha256: Sha256Hex,
  requests: z.number().int().min(0),
  rows: z.number().int().min(0),
});
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

/** A peer serving a deployment, as the host that spreads requests over it sees it. */
export const PeerServingStats = z.object({
  peer: z.string(),
  state: z.enum(['serving', 'dead']),
  /** Why it was dropped, when dead. */
  reason: z.string().optional(),
  requests: z.number().int().min(0),
  rows: z.number().int().min(0),
  errors: z.number().int().min(0),
  /** Answered requests per second over the time this peer had requests in flight. */
  requestsPerSec: z.number().min(0),
  rowsPerSec: z.number().min(0),
  /** Round-trip latency per request as the host measured it, ms; null before any answer. */
  p50Ms: z.number().min(0).nullable(),
  p99Ms: z.number().min(0).nullable(),
});
export type PeerServingStats = z.infer<typeof PeerServingStats>;

/** The shape a model takes, in words: `784 (28×28×1)`. */
export function describeInputShape(shape: readonly number[]): string {
  const size = shape.reduce((a, b) => a * b, 1);
  return shape.length > 1 ? `${size} (${shape.join('×')})` : String(size);
}

/** Why rows of this many values do not fit the model, naming `input`; `row` (1-based) names the first that does not. */
export function widthProblem(width: number, architecture: ModelArchitecture, modelId: string, row?: number): string | null {
  const size = architecture.inputShape.reduce((a, b) => a * b, 1);
  if (width === size) return null;
  return `input: ${row === undefined ? 'rows have' : `row ${row} has`} ${width} values; model ${modelId} takes ${describeInputShape(architecture.inputShape)}`;
}

/** Why these rows do not fit the model, naming `input` and the first row that does not; null when they fit. */
export function inputShapeProblem(rows: readonly (readonly number[])[], architecture: ModelArchitecture, modelId: string): string | null {
  const size = architecture.inputShape.reduce((a, b) => a * b, 1);
  const bad = rows.findIndex((r) => r.length !== size);
  return bad < 0 ? null : widthProblem(rows[bad]!.length, architecture, modelId, bad + 1);
}

/** The predictor child's commands (part of TrainerCommand): load a checked package, then answer batches. */
export const LoadModelCommand = z.object({ type: z.literal('load-model'), manifest: ModelManifest, weightsBase64: z.string() });
export const PredictCommand = z.object({ type: z.literal('predict'), requestId: z.number().int().min(0), batch: RowBatch });

const time = z.number().describe('ms since the Unix epoch');

/** The predictor child's answers, besides `ready` and `log`. */
export const PredictorEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('model-loaded'), time, modelId: ModelId, sha256: Sha256Hex }),
  Predictions.extend({ type: z.literal('predictions'), time, requestId: z.number().int().min(0) }),
  /** A request the predictor refused (its rows do not fit the model); the predictor keeps serving. */
  z.object({ type: z.literal('prediction-error'), time, requestId: z.number().int().min(0), field: z.string(), message: z.string() }),
]);
export type PredictorEvent = z.infer<typeof PredictorEvent>;

export const DeploymentId = z.string().regex(/^dep-[0-9a-f]{12}$/, { error: 'must be a deployment id (dep-…)' });

/** A model deployed from this app to its peers: where it is served, and how each peer is doing. */
export const DeploymentStatus = z.object({
  deploymentId: DeploymentId,
  modelId: ModelId,
  /** weights.bin's sha256, as every peer checked it. */
  sha256: Sha256Hex,
  peers: z.array(PeerServingStats),
});
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const ServedPredictionsResult = PredictResult.extend({ peer: z.string() });

/** A file predicted through a deployment in one call (the Deploy panel): at most this many bytes, before base64. */
export const MAX_PREDICTION_FILE_BYTES = 15 * 1024 * 1024;

/**
 * A file of rows for a deployment, as `predict --input` reads it: JSON rows (`{"inputs": [[…]]}` or
 * a list of rows), or IDX images (gzipped or not) normalised as the model's training run did.
 */
export const PredictFileParams = z.object({
  deploymentId: DeploymentId,
  name: z.string({ error: 'must be a file name of 1 to 255 characters' }).min(1, { error: 'must be a file name of 1 to 255 characters' }).max(255, { error: 'must be a file name of 1 to 255 characters' }),
  contentBase64: z
    .string({ error: 'must be the file in base64' })
    .min(1, { error: 'the file is empty' })
    .max(Math.ceil(MAX_PREDICTION_FILE_BYTES / 3) * 4, { error: `the file must be at most ${MAX_PREDICTION_FILE_BYTES / 1024 / 1024} MiB` }),
});

/** Every row of a file through a deployment, summarised. */
export const FilePredictionSummary = z.object({
  deploymentId: DeploymentId,
  rows: z.number().int().nonnegative(),
  /** Rows predicted as each class, by class id (empty for regression). */
  classCounts: z.array(z.number().int().nonnegative()),
  seconds: z.number().nonnegative(),
});
export type FilePredictionSummary = z.infer<typeof FilePredictionSummary>;
