import { performance } from 'node:perf_hooks';
import { widthProblem, type DeployedModel, type DeploymentSummary, type DeployModelParams, type PredictParams, type PredictResult } from '../../shared/deployment.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { checkModelWeights, ModelPackageError } from '../../trainer/compression/model-package-file.js';
import type { SpawnTrainer } from '../trainer-process.js';
import { PredictorProcess } from './predictor-process.js';

/** Each served model is a trainer child holding its tensors; a few are plenty for one node and bound its memory. */
export const MAX_SERVED_MODELS = 8;

interface Served {
  predictor: Promise<PredictorProcess>;
  sha256: string;
  requests: number;
  rows: number;
  /** Deploys of this package not yet undeployed: each host that deployed it undeploys it once. */
  holders: number;
}

export interface ServedModelsDeps {
  spawnTrainer: SpawnTrainer;
  env?: NodeJS.ProcessEnv;
}

/**
 * The models this node serves (`deployModel`), by id. A package is checked here before any child
 * starts (its length and sha256 against the manifest, each tensor decoded), and again in the child
 * that loads it; only numbers are read from it. Deploying the same package again shares the
 * predictor (several hosts can use one node; it stops when the last undeploys); a different
 * package under the same id replaces the old one.
 */
export class ServedModels {
  private readonly served = new Map<string, Served>();

  constructor(private readonly deps: ServedModelsDeps) {}

  async deploy({ manifest, weightsBase64 }: DeployModelParams): Promise<DeployedModel> {
    const weights = new Uint8Array(Buffer.from(weightsBase64, 'base64'));
    try {
      checkModelWeights(manifest, weights, `${manifest.id}'s weights.bin`);
    } catch (error) {
      if (error instanceof ModelPackageError) throw ApiError.forField('model', `model: ${error.message}`);
      throw error;
    }
    const existing = this.served.get(manifest.id);
    if (existing?.sha256 === manifest.weights.sha256) {
      existing.holders++;
      return { modelId: manifest.id, sha256: existing.sha256, backend: (await existing.predictor).backend };
    }
    if (!existing && this.served.size >= MAX_SERVED_MODELS) {
      throw ApiError.forField('model', `model: this node serves ${MAX_SERVED_MODELS} models already (${[...this.served.keys()].join(', ')}); undeploy one first`, 'conflict');
    }
    if (existing) this.stop(manifest.id);
    const predictor = PredictorProcess.load(this.deps.spawnTrainer, { ...process.env, ...this.deps.env }, manifest, weightsBase64);
    const entry: Served = { predictor, sha256: manifest.weights.sha256, requests: 0, rows: 0, holders: 1 };
    this.served.set(manifest.id, entry);
    try {
      const loaded = await predictor;
      // A predictor that dies is forgotten, so deploying the package again starts a fresh one.
      loaded.onExit(() => {
        if (this.served.get(manifest.id) === entry) this.served.delete(manifest.id);
      });
      return { modelId: manifest.id, sha256: entry.sha256, backend: loaded.backend };
    } catch (error) {
      if (this.served.get(manifest.id) === entry) this.served.delete(manifest.id);
      throw error;
    }
  }

  async predict({ modelId, batch }: PredictParams): Promise<PredictResult> {
    const arrived = performance.now();
    const entry = this.served.get(modelId);
    if (!entry) throw ApiError.forField('modelId', `modelId: ${modelId} is not deployed on this node; deployModel it first`, 'not-found');
    const predictor = await entry.predictor;
    const problem = widthProblem(batch.width, predictor.manifest.architecture, modelId);
    if (problem) throw ApiError.forField('input', problem);
    const predictions = await predictor.predict(batch);
    entry.requests++;
    entry.rows += batch.rows;
    return { ...predictions, serverMs: performance.now() - arrived };
  }

  undeploy(modelId: string): void {
    const entry = this.served.get(modelId);
    if (!entry) throw ApiError.forField('modelId', `modelId: ${modelId} is not deployed on this node`, 'not-found');
    if (--entry.holders === 0) this.stop(modelId);
  }

  list(): DeploymentSummary[] {
    return [...this.served.entries()].map(([modelId, s]) => ({ modelId, sha256: s.sha256, requests: s.requests, rows: s.rows }));
  }

  /** Ends every predictor (the node is shutting down). */
  stopAll(): void {
    for (const id of [...this.served.keys()]) this.stop(id);
  }

  private stop(modelId: string): void {
    const entry = this.served.get(modelId);
    this.served.delete(modelId);
    entry?.predictor.then((p) => p.stop(), () => {});
  }
}
