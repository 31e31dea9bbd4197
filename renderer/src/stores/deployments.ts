import { defineStore } from 'pinia';
import { ref } from 'vue';
import { MAX_PREDICTION_FILE_BYTES, type DeploymentStatus, type FilePredictionSummary } from '../../../shared/deployment.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { formatBytes } from '../../../shared/run-labels.js';
import { readFileBase64 } from '../file-transfer.js';
import { useConnectionStore } from './connection.js';

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
  const lastPrediction = ref<FilePredictionSummary | null>(null);
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

  /** Every row of a file (JSON rows, or IDX images) through the deployment, batches spread over its peers; the answer summarised per class. */
  async function predictFile(deploymentId: string, file: File): Promise<void> {
    const client = connection.client!;
    predictError.value = null;
    predicting.value = deploymentId;
    try {
      if (file.size > MAX_PREDICTION_FILE_BYTES) throw new Error(`${file.name} is ${formatBytes(file.size)}; a file to predict must be at most ${formatBytes(MAX_PREDICTION_FILE_BYTES)}`);
      lastPrediction.value = await client.api.predictDeploymentFile({ deploymentId, name: file.name, contentBase64: await readFileBase64(file) });
      upsert(await client.api.getDeployment({ deploymentId }));
    } catch (e) {
      predictError.value = (e as Error).message;
    } finally {
      predicting.value = null;
    }
  }

  return { deployments, starting, errors, predicting, lastPrediction, predictError, offered, offer, start, stop, predictFile };
});
