import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectAgent, measureLatency } from './agent/agent-client.js';
import { SAMPLE_INTERVAL_MS } from '../shared/hardware-sample.js';
import { BackendProbe } from './backend-probe.js';
import { DEFAULT_DATASET_UPLOAD_LIMIT } from '../shared/dataset-upload.js';
import { DatasetHashIndex } from './datasets/dataset-hash-index.js';
import { datasetSender } from './datasets/dataset-sender.js';
import { DatasetStore } from './datasets/dataset-store.js';
import { connectAgentOverSsh } from './ssh/remote-agent.js';
import { PeerDirectory } from './distributed/peer-directory.js';
import { withPeers, type PeerConnector } from './distributed/peer-group-process.js';
import { createHardwareMonitor, type HardwareMonitor } from './monitor/hardware-monitor.js';
import { RunHardwareRecorder } from './monitor/run-hardware-recorder.js';
import { RunEvaluator } from './run-evaluator.js';
import { DataDirLock } from './run-lock.js';
import { RunStore } from './run-store.js';
import { FileSecretStore } from './secrets/file-secret-store.js';
import { SecretRedactor } from './secrets/secret-redactor.js';
import type { SecretStore } from './secrets/secret-store.js';
import { StudioService } from './studio-service.js';
import { SweepQueue } from './sweep-queue.js';
import { SweepStore } from './sweep-store.js';
import { localClusterAccess } from './cluster/cluster-access.js';
import { ClusterGateway } from './cluster/cluster-gateway.js';
import { CLUSTER_RUNS_DIR } from './cluster/cluster-run-folder.js';
import { ClusterRunMirror } from './cluster/cluster-run-mirror.js';
import { SlurmJobs } from './cluster/slurm-jobs.js';
import { localSlurm } from './cluster/slurm-status.js';
import { ApiError } from '../shared/rpc-protocol.js';
import type { SpawnTrainer } from './trainer-process.js';
import { TrainerSupervisor } from './trainer-supervisor.js';

export interface StudioHostOptions {
  dataDir: string;
  spawnTrainer: SpawnTrainer;
  version: string;
  defaultDatasetDir?: string;
  env?: NodeJS.ProcessEnv;
  stopTimeoutMs?: number;
  /** Reaches the agents of `ws://` peers; by default, with the tokens the Peers panel keeps. */
  connectPeer?: PeerConnector;
  /** Where agent tokens are kept: the OS keychain in the app; by default a 0600 `secrets.json` in the data directory. */
  secrets?: SecretStore;
  /** The most bytes one dataset sent to this host may bring (the agent's --dataset-upload-limit). */
  datasetUploadLimit?: number;
  /** The agent bundle made when the app was packaged, for SSH peers (the installed app passes its resources' folder). */
  agentBundleDir?: string;
  /** SSH peers' and login nodes' known_hosts; default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /**
   * The words that start `hpc-studio` here and on the cluster's nodes, for the Slurm jobs this host
   * submits; absent where there is none (the desktop app: it submits through a login node's agent).
   */
  cliCommand?: readonly string[];
}

export interface StudioHost {
  service: StudioService;
  supervisor: TrainerSupervisor;
  store: RunStore;
  sweeps: SweepQueue;
  /** Not started here: the app and `serve` start it; a one-off CLI run does not need it. */
  monitor: HardwareMonitor;
  /** The Peers panel's agents; watched once started (by the app and `serve`). */
  peers: PeerDirectory;
  /** Followed cluster runs; copied in once started (by the app and `serve`). */
  clusterRuns: ClusterRunMirror;
  /** This machine's cluster and the login nodes' reached through the Peers panel; closed when the app or `serve` stops. */
  clusters: ClusterGateway;
}

/** Wires the host services for one data directory: the same under Electron, `serve` and the CLI. */
export function createStudioHost(options: StudioHostOptions): StudioHost {
  mkdirSync(options.dataDir, { recursive: true });
  const store = new RunStore(options.dataDir);
  const lock = new DataDirLock(options.dataDir);
  const peers = new PeerDirectory({
    file: join(options.dataDir, 'peers.json'),
    secrets: options.secrets ?? new FileSecretStore(join(options.dataDir, 'secrets.json'), new SecretRedactor()),
    connect: (url, token) => connectAgent({ url, token, version: options.version }),
    connectSsh: (url, identityFile, confirm) =>
      connectAgentOverSsh({
        target: url,
        identityFile,
        confirmUnknownHost: confirm,
        knownHostsFile: options.knownHostsFile,
        version: options.version,
        bundleCacheDir: join(options.dataDir, 'agent-bundles'),
        prebuiltBundleDir: options.agentBundleDir,
      }),
    measureLatency: (connection) => measureLatency(connection.client),
    onChange: (list) => service.peersChanged(list),
  });
  const supervisor = new TrainerSupervisor({
    spawnTrainer: withPeers(options.spawnTrainer, options.connectPeer ?? peers.connector, undefined, datasetSender(new DatasetHashIndex(join(options.dataDir, 'dataset-hashes.json')))),
    store,
    lock,
    env: options.env,
    stopTimeoutMs: options.stopTimeoutMs,
  });
  const monitor = createHardwareMonitor(SAMPLE_INTERVAL_MS.default, { trainerPid: () => supervisor.trainerPid, env: options.env });
  // Lives on through its subscriptions: every monitor sample during a run goes into that run's log.
  new RunHardwareRecorder(monitor, supervisor);
  const evaluator = new RunEvaluator({
    spawnTrainer: options.spawnTrainer,
    store,
    lock,
    trainingRunId: () => supervisor.activeRunId,
    trainerIdle: () => supervisor.idle(),
    env: options.env,
  });
  const sweeps = new SweepQueue({ supervisor, runs: store, sweeps: new SweepStore(options.dataDir) });
  const slurm = localSlurm(options.env);
  const clusters = new ClusterGateway({
    local: localClusterAccess(slurm, new SlurmJobs({ root: join(options.dataDir, CLUSTER_RUNS_DIR), slurm, cliCommand: options.cliCommand ?? null, version: options.version })),
    // Only a login node whose host key the user confirmed in the Peers panel, with that panel's key file.
    connect: async ({ url }) => {
      if (!peers.list().some((peer) => peer.url === url)) {
        const message = `${url} is not one of your peers: add the login node in the Peers panel first (its host key is confirmed there), then choose it as the cluster`;
        throw new ApiError({ code: 'invalid', message: `target: ${message}`, fields: [{ field: 'target', message }] });
      }
      return peers.connector(url);
    },
  });
  const cluster = clusters.accessFor;
  const clusterRuns = new ClusterRunMirror({
    store,
    cluster,
    file: join(options.dataDir, 'followed-cluster-runs.json'),
    onRecord: (runId, record) => service.clusterRecord(runId, record),
  });
  const service = new StudioService({
    evaluator,
    monitor,
    store,
    supervisor,
    sweeps,
    dataDir: options.dataDir,
    version: options.version,
    defaultDatasetDir: options.defaultDatasetDir,
    backendProbe: new BackendProbe({ spawnTrainer: options.spawnTrainer, env: options.env }),
    spawnTrainer: options.spawnTrainer,
    env: options.env,
    peers,
    cluster,
    clusterRuns,
    datasets: new DatasetStore({ dir: join(options.dataDir, 'datasets'), limitBytes: options.datasetUploadLimit ?? DEFAULT_DATASET_UPLOAD_LIMIT }),
  });
  return { service, supervisor, store, sweeps, monitor, peers, clusterRuns, clusters };
}
