import { mkdirSync } from 'node:fs';
import { SAMPLE_INTERVAL_MS } from '../shared/hardware-sample.js';
import { BackendProbe } from './backend-probe.js';
import { withPeers, type PeerConnector } from './distributed/peer-group-process.js';
import { createHardwareMonitor, type HardwareMonitor } from './monitor/hardware-monitor.js';
import { RunHardwareRecorder } from './monitor/run-hardware-recorder.js';
import { RunEvaluator } from './run-evaluator.js';
import { DataDirLock } from './run-lock.js';
import { RunStore } from './run-store.js';
import { StudioService } from './studio-service.js';
import { SweepQueue } from './sweep-queue.js';
import { SweepStore } from './sweep-store.js';
import type { SpawnTrainer } from './trainer-process.js';
import { TrainerSupervisor } from './trainer-supervisor.js';

export interface StudioHostOptions {
  dataDir: string;
  spawnTrainer: SpawnTrainer;
  version: string;
  defaultDatasetDir?: string;
  env?: NodeJS.ProcessEnv;
  stopTimeoutMs?: number;
  /** Reaches the agents of `ws://` peers; without it, runs can span only this machine. */
  connectPeer?: PeerConnector;
}

export interface StudioHost {
  service: StudioService;
  supervisor: TrainerSupervisor;
  store: RunStore;
  sweeps: SweepQueue;
  /** Not started here: the app and `serve` start it; a one-off CLI run does not need it. */
  monitor: HardwareMonitor;
}

/** Wires the host services for one data directory: the same under Electron, `serve` and the CLI. */
export function createStudioHost(options: StudioHostOptions): StudioHost {
  mkdirSync(options.dataDir, { recursive: true });
  const store = new RunStore(options.dataDir);
  const lock = new DataDirLock(options.dataDir);
  const supervisor = new TrainerSupervisor({
    spawnTrainer: withPeers(options.spawnTrainer, options.connectPeer),
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
    env: options.env,
  });
  const sweeps = new SweepQueue({ supervisor, runs: store, sweeps: new SweepStore(options.dataDir) });
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
  });
  return { service, supervisor, store, sweeps, monitor };
}
