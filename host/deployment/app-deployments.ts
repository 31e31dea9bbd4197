import { randomBytes } from 'node:crypto';
import { MAX_PREDICT_VALUES, type DeploymentStatus, type FilePredictionSummary, type PeerServingStats, type RowBatch } from '../../shared/deployment.js';
import type { ModelArchitecture } from '../../shared/model-package.js';
import type { RunConfig } from '../../shared/run-config.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import type { OpenedModel } from '../model-store.js';
import type { SpawnTrainer } from '../trainer-process.js';
import { ModelDeployment, neverServed, predictInBatches, type ServedPredictions } from './model-deployment.js';
import { predictionRows } from './prediction-inputs.js';
import { startServingPeers } from './serving-peers.js';

/** How often a serving deployment's stats are pushed to the app's windows at most. */
export const STATS_EVERY_MS = 500;

/** Rows per request when a whole file goes through a deployment (fewer for very wide rows). */
const FILE_BATCH = 64;

export interface AppDeploymentsDeps {
  openModel: (modelId: string) => OpenedModel;
  /** A run's config: how a model's training run normalised its inputs, for IDX files. */
  runConfig: (runId: string) => RunConfig;
  /** The Peers panel's agents, reached with their kept tokens (or over SSH). */
  connect: PeerConnector;
  spawnTrainer: SpawnTrainer;
  env?: NodeJS.ProcessEnv;
  /** `deployment-stats` for every window. */
  emit: (status: DeploymentStatus) => void;
  now?: () => number;
}

interface Entry {
  modelId: string;
  sha256: string;
  architecture: ModelArchitecture;
  sourceRunId: string;
  deployment: ModelDeployment;
  /** Peers that never took the model, shown dead beside the ones serving. */
  neverServed: PeerServingStats[];
  lastEmitted: number;
}

/** The models this app deployed to its peers (the Deploy panel), each spread over its peers by a ModelDeployment. */
export class AppDeployments {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly deps: AppDeploymentsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(modelId: string, peers: readonly string[]): Promise<DeploymentStatus> {
    if (new Set(peers).size !== peers.length) throw ApiError.forField('peers', 'peers: a peer is named twice');
    const model = this.deps.openModel(modelId);
    const deploymentId = `dep-${randomBytes(6).toString('hex')}`;
    const dead: { peer: string; reason: string }[] = [];
    const { spawnTrainer, env, connect } = this.deps;
    const serving = await startServingPeers(model, peers, { spawnTrainer, env, connect, warn: (peer, reason) => dead.push({ peer, reason }) });
    const entry: Entry = {
      modelId,
      sha256: model.manifest.weights.sha256,
      architecture: model.manifest.architecture,
      sourceRunId: model.manifest.lineage.sourceRunId,
      lastEmitted: 0,
      neverServed: dead.map(({ peer, reason }) => neverServed(peer, reason)),
      deployment: new ModelDeployment(serving, { onPeerDead: () => this.emit(deploymentId, true) }),
    };
    this.entries.set(deploymentId, entry);
    return this.status(deploymentId);
  }

  async predict(deploymentId: string, batch: RowBatch): Promise<ServedPredictions> {
    const entry = this.entry(deploymentId);
    const answer = await entry.deployment.predict(batch);
    this.emit(deploymentId, false);
    return answer;
  }

  /**
   * Every row of a file (JSON rows, or IDX images normalised as the model's training run did)
   * through the deployment, batches spread over its peers; refusals name `input`.
   */
  async predictFile(deploymentId: string, name: string, content: Uint8Array): Promise<FilePredictionSummary> {
    const entry = this.entry(deploymentId);
    const started = this.now();
    const rows = await predictionRows(content, name, { label: 'input', modelId: entry.modelId, architecture: entry.architecture, trainedWith: () => this.deps.runConfig(entry.sourceRunId) });
    const batch = Math.max(1, Math.min(FILE_BATCH, Math.floor(MAX_PREDICT_VALUES / rows[0]!.length)));
    const answers = await predictInBatches(entry.deployment, rows, batch, () => this.emit(deploymentId, false));
    this.emit(deploymentId, true);
    const classCounts: number[] = [];
    for (const answer of answers) for (const c of answer.classIds ?? []) classCounts[c] = (classCounts[c] ?? 0) + 1;
    return { deploymentId, rows: rows.length, classCounts: Array.from(classCounts, (n) => n ?? 0), seconds: (this.now() - started) / 1000 };
  }

  status(deploymentId: string): DeploymentStatus {
    const entry = this.entry(deploymentId);
    return { deploymentId, modelId: entry.modelId, sha256: entry.sha256, peers: [...entry.deployment.stats(), ...entry.neverServed] };
  }

  list(): DeploymentStatus[] {
    return [...this.entries.keys()].map((id) => this.status(id));
  }

  stop(deploymentId: string): void {
    this.entry(deploymentId).deployment.close();
    this.entries.delete(deploymentId);
  }

  stopAll(): void {
    for (const id of [...this.entries.keys()]) this.stop(id);
  }

  private entry(deploymentId: string): Entry {
    const entry = this.entries.get(deploymentId);
    if (!entry) {
      throw ApiError.forField('deploymentId', `deploymentId: no deployment ${deploymentId} in this app`, 'not-found');
    }
    return entry;
  }

  private emit(deploymentId: string, always: boolean): void {
    const entry = this.entries.get(deploymentId);
    if (!entry) return;
    const now = this.now();
    if (!always && now - entry.lastEmitted < STATS_EVERY_MS) return;
    entry.lastEmitted = now;
    this.deps.emit(this.status(deploymentId));
  }
}
