import { z } from 'zod';
import { CompressedVariant } from './compression-variant.js';
import { LoadModelCommand, PredictCommand } from './deployment.js';
import { PeerAddress, PeerRole } from './distributed.js';
import { RingEndpoint } from './ring-membership.js';
import { RingLinkRoute } from './ring-route.js';
import { BatchSize, DistillationAlpha, LearningRate, RunConfig, Temperature } from './run-config.js';

/**
 * The trainer child's contract: commands in, events out. Both ends validate every
 * message against these schemas, so a malformed one is rejected, never acted on.
 */

/** Best first: libtensorflow (CUDA, then CPU), HPC Studio's native CPU kernels, wasm, plain JavaScript. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'hpc-native', 'wasm', 'cpu'] as const;
export const BackendName = z.enum(BACKEND_NAMES);
export type BackendName = z.infer<typeof BackendName>;

export const BackendChoice = z.object({
  name: BackendName,
  /** What it runs on, where that says more than the name: e.g. the BLAS build and its threads. */
  detail: z.string().max(500).optional(),
  /** Why each better backend was skipped, best first. */
  skipped: z.array(z.object({ name: BackendName, reason: z.string() })),
});
export type BackendChoice = z.infer<typeof BackendChoice>;

/** "hpc-native (OpenBLAS 0.3.21 Cooperlake, 2 threads)": the name with what it runs on, as logs and the UI show it. */
export function describeBackend(backend: Pick<BackendChoice, 'name' | 'detail'>): string {
  return backend.detail ? `${backend.name} (${backend.detail})` : backend.name;
}

/** `temperature` and `alpha` apply only to a distilled run. */
export const HyperparamChange = z
  .object({ lr: LearningRate.optional(), batchSize: BatchSize.optional(), temperature: Temperature.optional(), alpha: DistillationAlpha.optional() })
  .refine((c) => c.lr !== undefined || c.batchSize !== undefined || c.temperature !== undefined || c.alpha !== undefined, {
    error: 'give one or more of lr, batchSize, temperature, alpha',
  });
export type HyperparamChange = z.infer<typeof HyperparamChange>;

const StartCommand = z.object({
  type: z.literal('start'),
  runId: z.string().min(1),
  config: RunConfig,
  /** Folder where the trainer writes its checkpoints. */
  checkpointDir: z.string().min(1),
  /** Continue from the newest checkpoint in checkpointDir instead of starting fresh. */
  resume: z.boolean(),
  /** Set when this trainer is one of a data-parallel run's peers. */
  peer: PeerRole.optional(),
  /** A compression run's source (config.compression.sourceRunId) as the host found it: its config and the checkpoint to load. */
  source: z.object({ config: RunConfig, checkpointFile: z.string().min(1) }).optional(),
  /** A compression run's folder for its variants (RunPaths.models): each is written to `<modelsDir>/<label>/`. */
  modelsDir: z.string().min(1).optional(),
  /** A distilled run's teacher, as the host found it (required when config.distillation is set). */
  teacher: z.object({ config: RunConfig, checkpointFile: z.string().min(1) }).optional(),
});

/** A start for a peer trainer on another host: its role required, its checkpoints that host's business. */
export const PeerStartCommand = StartCommand.omit({ checkpointDir: true }).extend({ peer: PeerRole });
export type PeerStartCommand = z.infer<typeof PeerStartCommand>;

/** A peer trainer an agent started, as the coordinator names it. */
export const TrainerId = z.string().regex(/^[\w-]{8,64}$/, { error: 'a trainer id is 8–64 letters, digits, - or _' });

export const TrainerCommand = z.discriminatedUnion('type', [
  StartCommand,
  /**
   * How this trainer reaches every rank's data port, by rank (each trainer is sent its own: a link
   * relayed over SSH is a loopback port of its node): form the ring and train (answers each peer's
   * `data-port`). After a peer is lost, a new `generation` over the peers left, with this trainer's new `rank`.
   */
  z.object({
    type: z.literal('ring'),
    endpoints: z.array(RingEndpoint).min(1),
    generation: z.number().int().min(0).default(0),
    rank: z.number().int().min(0).optional(),
  }),
  /** To a data-parallel run's leader: a peer waits to join; every peer forms a new ring at the next epoch boundary. */
  z.object({ type: z.literal('regroup') }),
  /** To a data-parallel run (its host's peer group): add this peer; it joins at the next epoch boundary. */
  z.object({ type: z.literal('add-peer'), address: PeerAddress }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  /** Write a checkpoint, then exit; answered by `stopped`. */
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('set-hyperparams'), change: HyperparamChange }),
  /**
   * Evaluate a finished run on its test split from its best checkpoint (else its latest), then
   * exit; answered by `progress` events and one `evaluation` event (shared/evaluation.ts).
   */
  z.object({ type: z.literal('evaluate'), runId: z.string().min(1), config: RunConfig, checkpointDir: z.string().min(1) }),
  /** Serve a model package (checked again here, never run): answered by `model-loaded`; then `predict`s (shared/deployment.ts). */
  LoadModelCommand,
  PredictCommand,
]);
export type TrainerCommand = z.infer<typeof TrainerCommand>;

const finite = z.number();
const time = z.number().describe('ms since the Unix epoch');

export const DatasetInfo = z.object({
  task: z.enum(['classification', 'regression']),
  trainSize: z.number().int(),
  validationSize: z.number().int(),
  testSize: z.number().int(),
  inputShape: z.array(z.number().int()),
  classes: z.number().int().optional(),
  classNames: z.array(z.string()).optional(),
  featureNames: z.array(z.string()).optional(),
});
export type DatasetInfo = z.infer<typeof DatasetInfo>;

/** One training step: the per-step series a run's charts draw. */
export const StepEvent = z.object({
  type: z.literal('step'),
  time,
  step: z.number().int(),
  epoch: z.number().int(),
  /** Fraction of the current epoch done, 0–1. */
  epochProgress: z.number(),
  loss: finite,
  accuracy: finite.optional(),
  lr: z.number(),
  batchSize: z.number().int(),
  samplesPerSec: z.number(),
  samplesSeen: z.number().int(),
  etaSec: z.number(),
  /**
   * A peer's own part of the step: its samples; ms computing, and ms after that waiting on the
   * exchange (a pipeline stage: on its neighbours); a data-parallel peer also the ms its gradients
   * were already being summed while it still computed (the overlap with the backward pass).
   */
  exchange: z.object({ samples: z.number().int(), computeMs: z.number(), commMs: z.number(), overlapMs: z.number().optional() }).optional(),
  /** A distilled run's step: `loss` = alpha · hardLoss + (1 − alpha) · softLoss, at this temperature and alpha. */
  distillation: z.object({ hardLoss: finite, softLoss: finite, temperature: z.number(), alpha: z.number() }).optional(),
});

export const HINT_KINDS = ['input-bound', 'gpu-memory', 'throttling', 'memory-pressure', 'tensor-leak'] as const;

/**
 * Something wrong with how the hardware is being used, with the evidence that shows it. The host
 * writes most (HintDetector); the trainer writes `tensor-leak`, as only it can count tensors.
 */
export const HintEvent = z.object({
  type: z.literal('hint'),
  time: z.number(),
  step: z.number().int(),
  kind: z.enum(HINT_KINDS),
  message: z.string(),
  evidence: z.string(),
});

/**
 * TensorFlow.js's live tensors after a training step, sent at most about once a second (a
 * million-step run must not get a second record per step), plus the highest bytes seen inside a
 * step so far in this process: activations and gradients live only until the step's end.
 */
export const MemoryEvent = z.object({
  type: z.literal('memory'),
  time,
  step: z.number().int(),
  numTensors: z.number().int().min(0),
  numBytes: z.number().min(0),
  peakStepBytes: z.number().min(0),
});

export const TrainerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), time, backend: BackendChoice, pid: z.number().int() }),
  /** Progress of long preparation work (sending the dataset to peers' nodes, in bytes; loading data, evaluating; timing a compression run's models, in passes). */
  z.object({
    type: z.literal('progress'),
    time,
    phase: z.enum(['load-data', 'evaluate', 'upload-data', 'time-inference']),
    done: z.number(),
    total: z.number(),
  }),
  z.object({
    type: z.literal('started'),
    time,
    dataset: DatasetInfo,
    totalSteps: z.number().int().describe('estimate at the current batch size'),
    stepsPerEpoch: z.number().int(),
    /** Set when continuing from a checkpoint: the step the run continues from. */
    resumedFromStep: z.number().int().optional(),
    /** Wall time already spent training before this process, so ETA and time axes continue. */
    elapsedMs: z.number(),
  }),
  StepEvent,
  z.object({
    type: z.literal('epoch'),
    time,
    step: z.number().int(),
    epoch: z.number().int(),
    trainLoss: finite,
    trainAccuracy: finite.optional(),
    valLoss: finite,
    valAccuracy: finite.optional(),
  }),
  /** A hyperparameter change took effect before this step. */
  z.object({
    type: z.literal('hyperparams'),
    time,
    step: z.number().int(),
    lr: z.number(),
    batchSize: z.number().int(),
    /** A distilled run's temperature and alpha from this step on. */
    temperature: z.number().optional(),
    alpha: z.number().optional(),
  }),
  /** Early stopping triggered after `epoch`; the test set is evaluated next and the run ends `done`. */
  z.object({
    type: z.literal('early-stop'),
    time,
    step: z.number().int(),
    epoch: z.number().int(),
    bestEpoch: z.number().int(),
    bestValLoss: finite,
    patience: z.number().int(),
  }),
  z.object({ type: z.literal('paused'), time, step: z.number().int() }),
  z.object({ type: z.literal('resumed'), time, step: z.number().int() }),
  z.object({
    type: z.literal('checkpoint'),
    time,
    step: z.number().int(),
    epoch: z.number().int(),
    file: z.string(),
  }),
  z.object({ type: z.literal('log'), time, level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  /** Bad input found by the trainer (e.g. a CSV column): names the field. The trainer then exits. */
  z.object({ type: z.literal('error'), time, field: z.string().optional(), message: z.string() }),
  z.object({
    type: z.literal('done'),
    time,
    step: z.number().int(),
    testLoss: finite,
    testAccuracy: finite.optional(),
    /** Regression only: learned weights in the CSV's own units, by feature name, plus `bias`. */
    weights: z.record(z.string(), z.number()).optional(),
    /** Inference throughput: test examples per second through the final model (batches of 1000). */
    testSamplesPerSec: z.number().optional(),
  }),
  z.object({ type: z.literal('stopped'), time, step: z.number().int(), checkpoint: z.string().optional() }),
  /** A compression run made and measured one model (the fp32 original first), stored as an hpc-model package. */
  z.object({ type: z.literal('variant'), time, variant: CompressedVariant }),
  /** A data-parallel peer's data port is open (after loading its data): the host answers with `ring` once every peer's is. */
  z.object({
    type: z.literal('data-port'),
    time,
    port: z.number().int().min(1).max(65_535),
    /** What this peer loaded (trainer/data/dataset-fingerprint.ts): every peer must train on the same data. */
    datasetFingerprint: z.string().max(64),
  }),
  /** A peer left its ring at the leader's word (a peer is joining) and waits for the host's next `ring`. */
  z.object({ type: z.literal('awaiting-ring'), time, generation: z.number().int() }),
  /** A peer holds the same state as the others after a ring formed: the checksum of its parameters. */
  z.object({ type: z.literal('synced'), time, step: z.number().int(), generation: z.number().int(), checksum: z.string().max(64) }),
  /** Written by the host: a peer joined the run (its number among the run's peers), with the state the others hold. */
  z.object({ type: z.literal('peer-joined'), time, step: z.number().int(), peer: z.number().int(), address: z.string(), peers: z.number().int(), checksum: z.string().max(64) }),
  /** A peer's ring broke (`lostRank` of that ring's generation is gone); it waits for the host's next `ring`. */
  z.object({ type: z.literal('ring-broken'), time, generation: z.number().int(), lostRank: z.number().int(), message: z.string() }),
  /** Written by the host: a peer left the run (its number in the run's peer list), and training went on over the rest. */
  z.object({
    type: z.literal('peer-lost'),
    time,
    step: z.number().int(),
    peer: z.number().int(),
    address: z.string(),
    reason: z.string(),
    peersLeft: z.number().int(),
  }),
  /** One peer's throughput and communication/compute split over the last second (written by the host for each peer). */
  z.object({
    type: z.literal('peer-stats'),
    time,
    step: z.number().int(),
    rank: z.number().int(),
    samplesPerSec: z.number(),
    computeMs: z.number(),
    commMs: z.number(),
  }),
  /**
   * Written by the host: a peer's node holds the run's dataset under `sha256`, sent `sentBytes` of
   * `bytes` now (0: it had it from an earlier run), before its trainer started on it.
   */
  z.object({
    type: z.literal('peer-dataset'),
    time,
    peer: z.number().int(),
    address: z.string(),
    sha256: z.string().max(64),
    files: z.number().int(),
    bytes: z.number().int(),
    sentBytes: z.number().int(),
  }),
  MemoryEvent,
  HintEvent,
  /**
   * Written by the host when a ring forms, and at the run's end: how each rank's link travels, and
   * the bytes the app's SSH relays have carried for the run so far.
   */
  z.object({
    type: z.literal('ring-route'),
    time,
    generation: z.number().int().min(0),
    links: z.array(RingLinkRoute),
    relayedBytes: z.number().int().min(0),
  }),
]);
export type TrainerEvent = z.infer<typeof TrainerEvent>;

/** The longest a step waits in the trainer before it is sent (every other event is sent at once, after any waiting steps). */
export const STEP_BATCH_MS = 50;

/**
 * What the trainer sends its parent: one event, or the steps of the last STEP_BATCH_MS in one
 * message. A fast model takes hundreds of steps a second; one message each costs the trainer a
 * pipe write and the host a wake-up per step, enough to slow training by a few percent.
 */
export const TrainerMessage = z.union([
  TrainerEvent,
  z.object({ type: z.literal('steps'), steps: z.array(StepEvent).min(1).max(100_000) }),
]);
export type TrainerMessage = z.infer<typeof TrainerMessage>;

/** The events a message carries, in order. */
export function eventsOf(message: TrainerMessage): TrainerEvent[] {
  return message.type === 'steps' ? message.steps : [message];
}
export type TrainerEventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;
