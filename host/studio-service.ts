import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ApiEventName, ApiEventPayload, StudioApi } from '../shared/api-contract.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../shared/run-config.js';
import { ApiError } from '../shared/rpc-protocol.js';
import type { BackendProbe } from './backend-probe.js';
import type { DatasetStore } from './datasets/dataset-store.js';
import { AppDeployments } from './deployment/app-deployments.js';
import { ServedModels } from './deployment/served-models.js';
import type { PeerDirectory } from './distributed/peer-directory.js';
import { PeerTrainers } from './distributed/peer-trainers.js';
import type { ClusterAccessFor } from './cluster/cluster-access.js';
import type { ClusterRunMirror } from './cluster/cluster-run-mirror.js';
import { probeTcp } from './distributed/tcp-reach-probe.js';
import type { RunRecord } from '../shared/run-record.js';
import type { PeerStatus } from '../shared/peer-status.js';
import { previewImageFolder } from './image-folder-preview.js';
import type { HardwareMonitor } from './monitor/hardware-monitor.js';
import { PeerDescriber } from './peer-describer.js';
import type { RunEvaluator } from './run-evaluator.js';
import { SampleHistory } from './monitor/sample-history.js';
import type { RunStore } from './run-store.js';
import { RunTransfer } from './run-transfer.js';
import { modelDownload } from './model-download.js';
import { ModelStore } from './model-store.js';
import type { SweepQueue } from './sweep-queue.js';
import type { SpawnTrainer } from './trainer-process.js';
import type { TrainerSupervisor } from './trainer-supervisor.js';

export type StudioEventListener = <E extends ApiEventName>(name: E, payload: ApiEventPayload<E>) => void;

export interface StudioServiceDeps {
  store: RunStore;
  supervisor: TrainerSupervisor;
  sweeps: SweepQueue;
  dataDir: string;
  version: string;
  defaultDatasetDir?: string;
  monitor: HardwareMonitor;
  evaluator: RunEvaluator;
  backendProbe: BackendProbe;
  /** Starts trainers this host runs as peers of runs other hosts coordinate. */
  spawnTrainer: SpawnTrainer;
  env?: NodeJS.ProcessEnv;
  peers: PeerDirectory;
  /** Datasets other hosts sent this one for the peer trainers it runs. */
  datasets: DatasetStore;
  /** The Slurm cluster a call names: this machine's (a login node), or one reached through its agent over SSH. */
  cluster: ClusterAccessFor;
  /** Cluster runs followed here: their logs copied in as their jobs write them. */
  clusterRuns: ClusterRunMirror;
}

/** The API's implementation: every transport (IPC, WebSocket, in-process CLI) calls this. */
export class StudioService implements StudioApi {
  private readonly listeners = new Set<StudioEventListener>();
  private readonly hardware: SampleHistory;
  private readonly transfer: RunTransfer;
  private readonly models: ModelStore;
  private readonly peer: PeerDescriber;
  private readonly peerTrainers: PeerTrainers;
  private readonly servedModels: ServedModels;
  private readonly appDeployments: AppDeployments;

  constructor(private readonly deps: StudioServiceDeps) {
    this.hardware = new SampleHistory(deps.monitor, (samples) => this.emit('hardware-samples', { samples }));
    deps.supervisor.onRecord((runId, record) => {
      deps.store.noteRecord(runId, record);
      this.emit('run-record', { runId, record });
    });
    deps.supervisor.onStatusChange(() => this.emit('runs-changed', {}));
    this.models = new ModelStore(deps.store, (id) => this.isActive(id));
    this.transfer = new RunTransfer({ store: deps.store, version: deps.version, isActive: (id) => this.isActive(id), now: Date.now, hostName: hostname() });
    deps.sweeps.onChange((sweep) => this.emit('sweeps-changed', { sweep }));
    this.peerTrainers = new PeerTrainers({
      spawnTrainer: deps.spawnTrainer,
      datasetDir: deps.defaultDatasetDir,
      scratchDir: join(deps.dataDir, 'peer-trainers'),
      activeRunId: () => deps.supervisor.activeRunId,
      env: deps.env,
      events: {
        message: (trainerId, message) => this.emit('peer-trainer', { trainerId, message }),
        exit: (trainerId, code, signal, stderrTail) => this.emit('peer-trainer-exit', { trainerId, code, signal, stderrTail }),
      },
    });
    this.servedModels = new ServedModels({ spawnTrainer: deps.spawnTrainer, env: deps.env });
    this.appDeployments = new AppDeployments({
      openModel: (modelId) => this.models.open(modelId),
      runConfig: (runId) => deps.store.summary(runId, false).config,
      connect: deps.peers.connector,
      spawnTrainer: deps.spawnTrainer,
      env: deps.env,
      emit: (status) => this.emit('deployment-stats', status),
    });
    this.peer = new PeerDescriber({
      version: deps.version,
      backend: async () => deps.supervisor.lastBackend ?? deps.backendProbe.choice(),
      hardware: async () => this.hardware.latest() ?? deps.monitor.sample(),
    });
  }

  onEvent(listener: StudioEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getInfo: StudioApi['getInfo'] = async () => ({
    version: this.deps.version,
    dataDir: this.deps.dataDir,
    defaultDatasetDir: this.deps.defaultDatasetDir ?? DEFAULT_FASHION_MNIST_DIR,
    activeRunId: this.deps.supervisor.activeRunId,
    backend: this.deps.supervisor.lastBackend,
  });

  listRuns: StudioApi['listRuns'] = async () => this.deps.store.list((id) => this.isActive(id));

  getRun: StudioApi['getRun'] = async ({ runId }) => this.deps.store.view(runId, this.isActive(runId));

  getSeriesWindow: StudioApi['getSeriesWindow'] = async ({ runId, ...query }) =>
    this.deps.store.seriesWindow(runId, this.isActive(runId), query);

  startRun: StudioApi['startRun'] = async ({ config }) => {
    const runId = await this.deps.supervisor.start(config);
    return { runId };
  };

  resumeRun: StudioApi['resumeRun'] = async ({ runId }) => ({ runId: await this.deps.supervisor.resume(runId) });

  pauseRun: StudioApi['pauseRun'] = async ({ runId }) => {
    this.deps.supervisor.pause(runId);
    return {};
  };

  unpauseRun: StudioApi['unpauseRun'] = async ({ runId }) => {
    this.deps.supervisor.unpause(runId);
    return {};
  };

  stopRun: StudioApi['stopRun'] = async ({ runId }) => {
    await this.deps.supervisor.stop(runId);
    return {};
  };

  setHyperparams: StudioApi['setHyperparams'] = async ({ runId, change }) => {
    this.deps.supervisor.setHyperparams(runId, change);
    return {};
  };

  addRunPeer: StudioApi['addRunPeer'] = async ({ runId, address }) => {
    this.deps.supervisor.addPeer(runId, address);
    return {};
  };

  deleteRun: StudioApi['deleteRun'] = async ({ runId }) => {
    if (this.isActive(runId)) {
      throw new ApiError({ code: 'conflict', message: `run ${runId} is training; stop it before deleting it` });
    }
    this.deps.store.delete(runId);
    this.emit('runs-changed', {});
    return {};
  };

  setRunMeta: StudioApi['setRunMeta'] = async ({ runId, meta }) => {
    const saved = this.deps.store.setMeta(runId, meta);
    this.emit('runs-changed', {});
    return saved;
  };

  getHardware: StudioApi['getHardware'] = async () => ({
    intervalMs: this.deps.monitor.intervalMs,
    samples: this.hardware.recent(),
  });

  setSampleInterval: StudioApi['setSampleInterval'] = async ({ intervalMs }) => {
    this.deps.monitor.setIntervalMs(intervalMs);
    return {};
  };

  exportRun: StudioApi['exportRun'] = (params) => this.transfer.exportRun(params);
  exportModel: StudioApi['exportModel'] = async ({ modelId, format }) => modelDownload(this.models.open(modelId), format, Date.now());

  importRun: StudioApi['importRun'] = async (params) => {
    const result = await this.transfer.importRun(params);
    this.emit('runs-changed', {});
    return result;
  };
  getEvaluation: StudioApi['getEvaluation'] = async ({ runId, cachedOnly }) =>
    cachedOnly ? this.deps.evaluator.cached(runId) : this.deps.evaluator.evaluate(runId, (progress) => this.emit('evaluation-progress', progress));
  previewDataset: StudioApi['previewDataset'] = async (params) => previewImageFolder(params);
  startSweep: StudioApi['startSweep'] = async ({ spec }) => {
    const sweep = this.deps.sweeps.start(spec);
    return { sweepId: sweep.id, trials: sweep.trials.map((t) => t.config) };
  };

  listSweeps: StudioApi['listSweeps'] = async () => this.deps.sweeps.list();

  getSweep: StudioApi['getSweep'] = async ({ sweepId }) => this.deps.sweeps.get(sweepId);

  cancelSweep: StudioApi['cancelSweep'] = async ({ sweepId }) => this.deps.sweeps.cancel(sweepId);

  continueSweep: StudioApi['continueSweep'] = async ({ sweepId }) => this.deps.sweeps.continue(sweepId);

  describePeer: StudioApi['describePeer'] = () => this.peer.describe();

  startPeerTrainer: StudioApi['startPeerTrainer'] = async ({ command, datasetSha256 }) => {
    const folder = datasetSha256 === undefined ? undefined : this.deps.datasets.folder(datasetSha256);
    if (folder === null) throw new ApiError({ code: 'not-found', message: `datasetSha256: no dataset ${datasetSha256} on this node; send it first (beginDatasetUpload)` });
    return { trainerId: this.peerTrainers.start(command, folder) };
  };

  commandPeerTrainer: StudioApi['commandPeerTrainer'] = async ({ trainerId, command }) => {
    this.peerTrainers.command(trainerId, command);
    return {};
  };

  killPeerTrainer: StudioApi['killPeerTrainer'] = async ({ trainerId }) => {
    this.peerTrainers.kill(trainerId);
    return {};
  };

  listPeers: StudioApi['listPeers'] = async () => this.deps.peers.list();

  probeTcp: StudioApi['probeTcp'] = ({ endpoint, timeoutMs }) => probeTcp(endpoint.host, endpoint.port, timeoutMs);

  getClusterStatus: StudioApi['getClusterStatus'] = async ({ target }) => (await this.deps.cluster(target)).getClusterStatus({});

  previewClusterJob: StudioApi['previewClusterJob'] = async ({ target, ...params }) => (await this.deps.cluster(target)).previewClusterJob(params);

  submitClusterJob: StudioApi['submitClusterJob'] = async ({ target, ...params }) => (await this.deps.cluster(target)).submitClusterJob(params);

  listClusterRuns: StudioApi['listClusterRuns'] = async ({ target }) => (await this.deps.cluster(target)).listClusterRuns({});

  cancelClusterJob: StudioApi['cancelClusterJob'] = async ({ target, ...params }) => (await this.deps.cluster(target)).cancelClusterJob(params);

  requeueClusterJob: StudioApi['requeueClusterJob'] = async ({ target, ...params }) => (await this.deps.cluster(target)).requeueClusterJob(params);

  resumeClusterRun: StudioApi['resumeClusterRun'] = async ({ target, ...params }) => (await this.deps.cluster(target)).resumeClusterRun(params);

  readClusterRunLog: StudioApi['readClusterRunLog'] = async ({ target, ...params }) => (await this.deps.cluster(target)).readClusterRunLog(params);

  followClusterRun: StudioApi['followClusterRun'] = ({ target, clusterRunId }) => this.deps.clusterRuns.follow(target, clusterRunId);

  readClusterJobOutput: StudioApi['readClusterJobOutput'] = async ({ target, ...params }) => (await this.deps.cluster(target)).readClusterJobOutput(params);

  addPeer: StudioApi['addPeer'] = ({ url, token }) => this.deps.peers.add(url, token);

  addSshPeer: StudioApi['addSshPeer'] = (params) => this.deps.peers.addSsh(params);

  removePeer: StudioApi['removePeer'] = async ({ url }) => {
    this.deps.peers.remove(url);
    return {};
  };

  datasetStatus: StudioApi['datasetStatus'] = async ({ sha256 }) => ({ state: this.deps.datasets.folder(sha256) === null ? 'absent' : 'present' });

  beginDatasetUpload: StudioApi['beginDatasetUpload'] = async (manifest) => ({ uploadId: this.deps.datasets.begin(manifest) });

  uploadDatasetChunk: StudioApi['uploadDatasetChunk'] = async (chunk) => {
    this.deps.datasets.chunk(chunk);
    return {};
  };

  finishDatasetUpload: StudioApi['finishDatasetUpload'] = ({ uploadId }) => this.deps.datasets.finish(uploadId);

  deployModel: StudioApi['deployModel'] = (params) => this.servedModels.deploy(params);

  predict: StudioApi['predict'] = (params) => this.servedModels.predict(params);

  undeployModel: StudioApi['undeployModel'] = async ({ modelId }) => {
    this.servedModels.undeploy(modelId);
    return {};
  };

  listServedModels: StudioApi['listServedModels'] = async () => this.servedModels.list();

  startDeployment: StudioApi['startDeployment'] = ({ modelId, peers }) => this.appDeployments.start(modelId, peers);

  predictDeployment: StudioApi['predictDeployment'] = ({ deploymentId, batch }) => this.appDeployments.predict(deploymentId, batch);

  predictDeploymentFile: StudioApi['predictDeploymentFile'] = ({ deploymentId, name, contentBase64 }) =>
    this.appDeployments.predictFile(deploymentId, name, Buffer.from(contentBase64, 'base64'));

  getDeployment: StudioApi['getDeployment'] = async ({ deploymentId }) => this.appDeployments.status(deploymentId);

  listDeployments: StudioApi['listDeployments'] = async () => this.appDeployments.list();

  stopDeployment: StudioApi['stopDeployment'] = async ({ deploymentId }) => {
    this.appDeployments.stop(deploymentId);
    return {};
  };

  /** The peer directory's news, for every client's Peers panel. */
  /** A record of a followed cluster run, copied in from the cluster. */
  clusterRecord(runId: string, record: RunRecord): void {
    this.deps.store.noteRecord(runId, record);
    this.emit('run-record', { runId, record });
    if (record.type === 'status') this.emit('runs-changed', {});
  }

  peersChanged(peers: PeerStatus[]): void {
    this.emit('peers-changed', { peers });
  }

  /** Ends the trainers this host runs for other hosts' runs (the agent is shutting down). */
  killPeerTrainers(): void {
    this.peerTrainers.killAll();
  }

  /** Ends the predictors of the models this host serves (the agent is shutting down). */
  undeployAll(): void {
    this.servedModels.stopAll();
    this.appDeployments.stopAll();
  }

  private isActive(runId: string): boolean {
    return this.deps.supervisor.activeRunId === runId || this.deps.clusterRuns.isLive(runId);
  }

  private emit<E extends ApiEventName>(name: E, payload: ApiEventPayload<E>): void {
    for (const l of this.listeners) l(name, payload);
  }
}
