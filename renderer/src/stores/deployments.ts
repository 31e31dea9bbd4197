import { defineStore } from 'pinia';
import { ref } from 'vue';
import { IN_FLIGHT_PER_PEER, sendInFlight, type DeploymentStatus } from '../../../shared/deployment.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { encodeRowBatch } from '../row-batch.js';
import { useConnectionStore } from './connection.js';

/** Rows per request the panel sends. */
const BATCH = 64;

export interface PredictionSummary {
  deploymentId: string;
  rows: number;
  /** Rows predicted as each class, by class id. */
  classCounts: number[];
  seconds: number;
}

function errorsByField(e: unknown): Record<string, string> {
  return e instanceof ApiError && e.error.fields ? Object.fromEntries(e.error.fields.map((f) => [f.field, f.message])) : { '(deploy)': (e as Error).message };
}

/** The Deploy panel: models this app deployed to its peers, their per-peer figures live, and rows sent through them. */
export const useDeploymentsStore = defineStore('deployments', () => {
  const connection = useConnectionStore();
  const deployments = ref<DeploymentStatus[]>([]);
  const starting = ref(false);
  /** The deploy form's errors by field (`modelId`, `peers`, `model`), or `(deploy)` for the rest. */
  const errors = ref<Record<string, string>>({});
  const predicting = ref<string | null>(null);
  const lastPrediction = ref<PredictionSummary | null>(null);
  const predictError = ref<string | null>(null);
  /** A model another panel asked to deploy (a run page, a compression run's row): the Deploy form opens with it. */
  const offered = ref<{ modelId: string; seq: number } | null>(null);
  let offers = 0;
  const offer = (modelId: string) => (offered.value = { modelId, seq: ++offers });

  function upsert(status: DeploymentStatus): void {
    const others = deployments.value.filter((d) => d.deploymentId !== status.deploymentId);
    deployments.value = [...others, status];
  }

  connection.onConnected((client) => {
    void client.api.listDeployments({}).then((list) => (deployments.value = list), () => {});
    client.on('deployment-stats', (status) => {
      if (deployments.value.some((d) => d.deploymentId === status.deploymentId)) upsert(status);
    });
  });

  async function start(modelId: string, peers: string[]): Promise<boolean> {
    errors.value = {};
    starting.value = true;
    try {
      upsert(await connection.client!.api.startDeployment({ modelId, peers }));
      return true;
    } catch (e) {
      errors.value = errorsByField(e);
      return false;
    } finally {
      starting.value = false;
    }
  }

  async function stop(deploymentId: string): Promise<void> {
    await connection.client!.api.stopDeployment({ deploymentId });
    deployments.value = deployments.value.filter((d) => d.deploymentId !== deploymentId);
  }

  /** Every row through the deployment, in batches spread over its peers; the answer summarised per class. */
  async function predict(deploymentId: string, rows: number[][]): Promise<void> {
    const client = connection.client!;
    predictError.value = null;
    predicting.value = deploymentId;
    const started = performance.now();
    const classCounts: number[] = [];
    try {
      const live = deployments.value.find((d) => d.deploymentId === deploymentId)?.peers.filter((p) => p.state === 'serving').length ?? 1;
      await sendInFlight(Math.ceil(rows.length / BATCH), live * IN_FLIGHT_PER_PEER, async (b) => {
        const answer = await client.api.predictDeployment({ deploymentId, batch: encodeRowBatch(rows.slice(b * BATCH, (b + 1) * BATCH)) });
        for (const c of answer.classIds ?? []) classCounts[c] = (classCounts[c] ?? 0) + 1;
      });
      lastPrediction.value = { deploymentId, rows: rows.length, classCounts: Array.from(classCounts, (n) => n ?? 0), seconds: (performance.now() - started) / 1000 };
      upsert(await client.api.getDeployment({ deploymentId }));
    } catch (e) {
      predictError.value = (e as Error).message;
    } finally {
      predicting.value = null;
    }
  }

  /** A JSON file of rows (`{"inputs": [[…]]}` or a list of rows), each the model's input flattened, through the deployment. */
  async function predictJson(deploymentId: string, name: string, text: string): Promise<void> {
    let rows: unknown;
    try {
      const json = JSON.parse(text) as unknown;
      rows = Array.isArray(json) ? json : (json as { inputs?: unknown } | null)?.inputs;
    } catch (e) {
      predictError.value = `${name} is not JSON: ${(e as Error).message}`;
      return;
    }
    if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number'))) {
      predictError.value = `${name} must hold {"inputs": [[numbers…], …]} or a list of rows`;
      return;
    }
    await predict(deploymentId, rows as number[][]);
  }

  return { deployments, starting, errors, predicting, lastPrediction, predictError, offered, offer, start, stop, predict, predictJson };
});
