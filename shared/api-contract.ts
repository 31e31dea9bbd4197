import { z } from 'zod';
import { EvaluationProgress, RunEvaluation } from './evaluation.js';
import { ClusterFileChunk, ClusterJobSpec, ClusterRun, ClusterRunId, ClusterRunRef, ClusterTarget, LOCAL_CLUSTER } from './cluster-job.js';
import { ClusterStatusResult } from './cluster-status.js';
import { DatasetPreview, PreviewDatasetParams } from './dataset-preview.js';
import { DeployedModel, DeploymentId, DeploymentStatus, DeploymentSummary, DeployModelParams, FilePredictionSummary, PredictFileParams, PredictParams, PredictResult, RowBatch, ServedPredictionsResult } from './deployment.js';
import { DatasetChunk, DatasetManifest, DatasetStatusResult, FinishedUpload, Sha256, UploadId } from './dataset-upload.js';
import { HardwareSample, SAMPLE_INTERVAL_MS } from './hardware-sample.js';
import { PeerDescription } from './peer-description.js';
import { AddPeerParams, AddSshPeerParams, AddSshPeerResult, AgentUrl, PeerStatus, SshUrl } from './peer-status.js';
import { MAX_PEERS, PeerAddress } from './distributed.js';
import { MODEL_EXPORT_FORMATS, ModelId } from './model-package.js';
import { RunConfig } from './run-config.js';
import { ProbeTcpParams, TcpReach } from './ring-route.js';
import { RunDetail, RunMeta, RunRecord, RunSummary } from './run-record.js';
import { ExportRunParams, ExportRunResult, ImportRunParams, ImportRunResult } from './run-export.js';
import { SeriesWindow, SeriesWindowQuery } from './series-window.js';
import { SweepSpec, SweepStatus, SweepSummary } from './sweep.js';
import { BackendChoice, HyperparamChange, PeerStartCommand, TrainerCommand, TrainerId, TrainerMessage } from './trainer-protocol.js';

/**
 * The one API the renderer (and the CLI, and remote clients) use, whatever the transport.
 * Each method has a schema for its params and one for its result; types come from them.
 */

const RunRef = z.object({ runId: z.string().min(1).max(200) });
const SweepRef = z.object({ sweepId: z.string().min(1).max(200) });

export const StudioInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  defaultDatasetDir: z.string(),
  activeRunId: z.string().nullable(),
  /** The backend the last trainer picked, once one has started. */
  backend: BackendChoice.nullable(),
});
export type StudioInfo = z.infer<typeof StudioInfo>;

export const apiMethods = {
  getInfo: { params: z.object({}), result: StudioInfo },
  listRuns: { params: z.object({}), result: z.array(RunSummary) },
  getRun: { params: RunRef, result: RunDetail },
  /** A run's series over an x window, reduced to the chart's width without losing any extreme. */
  getSeriesWindow: { params: SeriesWindowQuery, result: SeriesWindow },
  startRun: { params: z.object({ config: RunConfig }), result: RunRef },
  pauseRun: { params: RunRef, result: z.object({}) },
  unpauseRun: { params: RunRef, result: z.object({}) },
  stopRun: { params: RunRef, result: z.object({}) },
  /** Continue a stopped or failed run from its last checkpoint, as the same run. */
  resumeRun: { params: RunRef, result: RunRef },
  setHyperparams: { params: RunRef.extend({ change: HyperparamChange }), result: z.object({}) },
  deleteRun: { params: RunRef, result: z.object({}) },
  /** Tags, note and archived flag; fields left out stay as they were. */
  setRunMeta: { params: RunRef.extend({ meta: RunMeta.partial() }), result: RunMeta },
  /** The last few minutes of hardware samples and the sampling interval, so a new window starts full. */
  getHardware: {
    params: z.object({}),
    result: z.object({ intervalMs: z.number().int(), samples: z.array(HardwareSample) }),
  },
  setSampleInterval: {
    params: z.object({
      intervalMs: z
        .number({ error: `must be an integer from ${SAMPLE_INTERVAL_MS.min} to ${SAMPLE_INTERVAL_MS.max} ms (1–20 Hz)` })
        .int({ error: `must be an integer from ${SAMPLE_INTERVAL_MS.min} to ${SAMPLE_INTERVAL_MS.max} ms (1–20 Hz)` })
        .min(SAMPLE_INTERVAL_MS.min, { error: `must be an integer from ${SAMPLE_INTERVAL_MS.min} to ${SAMPLE_INTERVAL_MS.max} ms (1–20 Hz)` })
        .max(SAMPLE_INTERVAL_MS.max, { error: `must be an integer from ${SAMPLE_INTERVAL_MS.min} to ${SAMPLE_INTERVAL_MS.max} ms (1–20 Hz)` }),
    }),
    result: z.object({}),
  },
  /** A run as a file (archive, CSV, JSON, TensorBoard events), base64, up to MAX_TRANSFER_BYTES. */
  exportRun: { params: ExportRunParams, result: ExportRunResult },
  /** Brings back a run archive under its own id; an id that exists already is a conflict. */
  importRun: { params: ImportRunParams, result: ImportRunResult },
  /**
   * A done or stopped run's test-set evaluation from its best checkpoint (else its latest): cached,
   * or computed now with `evaluation-progress` events; with `cachedOnly`, null instead of computing.
   */
  getEvaluation: { params: RunRef.extend({ cachedOnly: z.boolean().optional() }), result: RunEvaluation.nullable() },
  /** An image folder's classes, split counts, sample thumbnails and unreadable files, before training on it. */
  previewDataset: { params: PreviewDatasetParams, result: DatasetPreview },
  /** Plans a sweep (its trials' configs, in order) and queues it; its trials train one after another. */
  startSweep: { params: z.object({ spec: SweepSpec }), result: z.object({ sweepId: z.string(), trials: z.array(RunConfig) }) },
  listSweeps: { params: z.object({}), result: z.array(SweepSummary) },
  getSweep: { params: SweepRef, result: SweepStatus },
  /** Stops the running trial cleanly (checkpoint kept) and cancels the rest. */
  cancelSweep: { params: SweepRef, result: SweepStatus },
  /** Runs the rest of an interrupted sweep; an interrupted trial resumes from its checkpoint. */
  continueSweep: { params: SweepRef, result: SweepStatus },
  /** This machine as a peer: host, CPUs, memory, the backend its trainer would use, the latest hardware reading. */
  describePeer: { params: z.object({}), result: PeerDescription },
  /**
   * On an agent: starts a trainer here as one peer of a data-parallel run another host
   * coordinates; its messages come back as `peer-trainer` events, its end as `peer-trainer-exit`.
   */
  startPeerTrainer: {
    /** `datasetSha256`: train on the dataset uploaded here under that hash (uploadDatasetChunk) instead of the path in the config. */
    params: z.object({ command: PeerStartCommand, datasetSha256: Sha256.optional() }),
    result: z.object({ trainerId: TrainerId }),
  },
  /** Passes the coordinator's next command (the ring, stop) to a peer trainer this host started. */
  commandPeerTrainer: { params: z.object({ trainerId: TrainerId, command: TrainerCommand }), result: z.object({}) },
  /** Ends a peer trainer at once (the run failed or was abandoned elsewhere). */
  killPeerTrainer: { params: z.object({ trainerId: TrainerId }), result: z.object({}) },
  /** The Peers panel: the agents added, each online or not, with latency, hardware and backend. */
  listPeers: { params: z.object({}), result: z.array(PeerStatus) },
  /** Adds an agent after connecting to it with the token (a wrong token or version is refused now). */
  addPeer: { params: AddPeerParams, result: PeerStatus },
  /** Adds a node over SSH: uploads and starts its agent (once per version), then keeps it like any peer. */
  addSshPeer: { params: AddSshPeerParams, result: AddSshPeerResult },
  removePeer: { params: z.object({ url: z.union([AgentUrl, SshUrl]) }), result: z.object({}) },
  /** Adds a peer to a data-parallel run while it trains: it joins at the next epoch boundary, sent the others' state. */
  addRunPeer: { params: RunRef.extend({ address: PeerAddress }), result: z.object({}) },
  /** On an agent: whether a dataset uploaded under this hash is here (verified when it arrived). */
  datasetStatus: { params: z.object({ sha256: Sha256 }), result: DatasetStatusResult },
  /** On an agent: opens an upload of these files (refused over its upload limit); their bytes follow in chunks. */
  beginDatasetUpload: { params: DatasetManifest, result: z.object({ uploadId: UploadId }) },
  /** The next bytes of one file of an upload, in order. */
  uploadDatasetChunk: { params: DatasetChunk, result: z.object({}) },
  /** The agent hashes what it received and keeps it under the announced hash only if it matches; else it drops it and refuses. */
  finishDatasetUpload: { params: z.object({ uploadId: UploadId }), result: FinishedUpload },
  /** On an agent: whether this machine can connect to another peer's data port (`ringTransport: auto` relays the links that cannot). */
  probeTcp: { params: ProbeTcpParams, result: TcpReach },
  /** The Slurm cluster this host is a node of (a login node): partitions, nodes and jobs, or why none answers. */
  getClusterStatus: { params: z.object({ target: ClusterTarget.default(LOCAL_CLUSTER) }), result: ClusterStatusResult },
  /** The batch script a submit would hand to sbatch, to show (and save) before submitting. */
  previewClusterJob: {
    params: z.object({ target: ClusterTarget.default(LOCAL_CLUSTER), spec: ClusterJobSpec }),
    result: z.object({ script: z.string(), clusterRunId: ClusterRunId }),
  },
  /** Writes the run's folder on the cluster (its config, the job's secret in a 0600 file, the script) and sbatches it. */
  submitClusterJob: {
    /** `clusterRunId` from the preview submits exactly the script shown. */
    params: z.object({ target: ClusterTarget.default(LOCAL_CLUSTER), spec: ClusterJobSpec, clusterRunId: ClusterRunId.optional() }),
    result: ClusterRun,
  },
  /** The runs this app submitted to the cluster, newest first, each with its jobs' Slurm state and tasks. */
  listClusterRuns: { params: z.object({ target: ClusterTarget.default(LOCAL_CLUSTER) }), result: z.array(ClusterRun) },
  /** scancel of the run's live job; the run keeps its last checkpoint and can be resumed. */
  cancelClusterJob: { params: ClusterRunRef, result: ClusterRun },
  /** scontrol requeue of the run's live job: Slurm runs it again, from the last checkpoint. */
  requeueClusterJob: { params: ClusterRunRef, result: ClusterRun },
  /** A new job that continues an ended run from its last checkpoint (after a time limit, preemption, cancel). */
  resumeClusterRun: { params: ClusterRunRef, result: ClusterRun },
  /** The run's log on the cluster from a byte offset, in whole lines: how the app follows a job and catches up. */
  readClusterRunLog: { params: ClusterRunRef.extend({ offset: z.number().int().nonnegative() }), result: ClusterFileChunk },
  /**
   * Shows a cluster run like a local one: its log is copied into this host's runs as it grows
   * (and caught up from where it stopped after the app was closed), so its page draws its curves.
   */
  followClusterRun: { params: ClusterRunRef, result: RunRef },
  /** A job's stdout/stderr file (Slurm's `--output`) from a byte offset; the run's latest job when jobId is left out. */
  readClusterJobOutput: {
    params: ClusterRunRef.extend({ jobId: z.number().int().positive().optional(), offset: z.number().int().nonnegative() }),
    result: ClusterFileChunk,
  },
  /** A model (a run's own, or a compression run's variant) as a tar of the folder `export` writes. */
  exportModel: { params: z.object({ modelId: ModelId, format: z.enum(MODEL_EXPORT_FORMATS, { error: `must be one of: ${MODEL_EXPORT_FORMATS.join(', ')}` }) }), result: ExportRunResult },
  /**
   * On an agent: serve a model package (manifest + weights.bin in base64, at most MAX_DEPLOY_WEIGHTS_BYTES),
   * checked like a package on disk (schema, length, sha256, every tensor) and never run: only its numbers are loaded.
   */
  deployModel: { params: DeployModelParams, result: DeployedModel },
  /** On an agent: a deployed model's outputs for a batch of rows (at most MAX_PREDICT_ROWS rows, MAX_PREDICT_VALUES numbers). */
  predict: { params: PredictParams, result: PredictResult },
  undeployModel: { params: z.object({ modelId: ModelId }), result: z.object({}) },
  /** On an agent: the models it serves, with the requests and rows each has answered. */
  listServedModels: { params: z.object({}), result: z.array(DeploymentSummary) },
  /**
   * The app's Deploy panel: deploys a model (a run id, or <run id>.<variant>) to peers (the Peers
   * panel's agents, or `local` for a predictor here); a peer that cannot take it is reported dead.
   */
  startDeployment: {
    params: z.object({ modelId: ModelId, peers: z.array(PeerAddress).min(1, { error: 'give at least one peer' }).max(MAX_PEERS, { error: `give at most ${MAX_PEERS} peers` }) }),
    result: DeploymentStatus,
  },
  /** One batch through a deployment: sent to its peer with the fewest requests in flight; a dead peer's request goes to another. */
  predictDeployment: { params: z.object({ deploymentId: DeploymentId, batch: RowBatch }), result: ServedPredictionsResult },
  getDeployment: { params: z.object({ deploymentId: DeploymentId }), result: DeploymentStatus },
  listDeployments: { params: z.object({}), result: z.array(DeploymentStatus) },
  /** Undeploys from every peer. */
  stopDeployment: { params: z.object({ deploymentId: DeploymentId }), result: z.object({}) },
  /** Every row of a file (JSON rows or IDX images, as `predict --input` reads them) through a deployment, in batches spread over its peers. */
  predictDeploymentFile: { params: PredictFileParams, result: FilePredictionSummary },
} as const;

/** Params nested under one key, whose name a form's field errors leave out. */
export const PARAMS_WRAPPER: Partial<Record<keyof typeof apiMethods, string>> = {
  startRun: 'config',
  setHyperparams: 'change',
  setRunMeta: 'meta',
  startSweep: 'spec',
};

export type ApiMethods = typeof apiMethods;
export type ApiMethodName = keyof ApiMethods;
/** What a caller sends; defaults are filled in by the schema on arrival. */
export type ApiParams<M extends ApiMethodName> = z.input<ApiMethods[M]['params']>;
/** What the service receives: checked, with defaults filled in. */
export type ApiCheckedParams<M extends ApiMethodName> = z.infer<ApiMethods[M]['params']>;
export type ApiResult<M extends ApiMethodName> = z.infer<ApiMethods[M]['result']>;

export const apiEvents = {
  /** Every record appended to a run's log, as it is written. */
  'run-record': z.object({ runId: z.string(), record: RunRecord }),
  /** A run was created, deleted or changed status. */
  'runs-changed': z.object({}),
  /** New hardware samples, batched (a few per message, not one message per value). */
  'hardware-samples': z.object({ samples: z.array(HardwareSample) }),
  /** A run's evaluation being computed: loading its data, then predicting its test set. */
  'evaluation-progress': EvaluationProgress,
  /** A sweep was queued, changed state, a trial moved on, or the running trial made progress. */
  'sweeps-changed': z.object({ sweep: SweepStatus }),
  /** The Peers panel's list changed: a peer added, removed, or its state, latency or hardware refreshed. */
  'peers-changed': z.object({ peers: z.array(PeerStatus) }),
  /** A message from a peer trainer this host started (startPeerTrainer). */
  'peer-trainer': z.object({ trainerId: TrainerId, message: TrainerMessage }),
  /** A peer trainer this host started has exited. */
  'peer-trainer-exit': z.object({
    trainerId: TrainerId,
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    stderrTail: z.array(z.string()).max(50),
  }),
  /** A deployment's per-peer requests, throughput and latency, at most twice a second while it serves, and when a peer dies. */
  'deployment-stats': DeploymentStatus,
} as const;

export type ApiEvents = typeof apiEvents;
export type ApiEventName = keyof ApiEvents;
export type ApiEventPayload<E extends ApiEventName> = z.infer<ApiEvents[E]>;

/** The API as the host implements it. */
export type StudioApi = { [M in ApiMethodName]: (params: ApiCheckedParams<M>) => Promise<ApiResult<M>> };
/** The API as a client calls it. */
export type StudioClientApi = { [M in ApiMethodName]: (params: ApiParams<M>) => Promise<ApiResult<M>> };
