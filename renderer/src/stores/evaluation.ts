import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { EvaluationProgress, RunEvaluation } from '../../../shared/evaluation.js';
import { useConnectionStore } from './connection.js';

/** The evaluation of the run on screen: its cached one when there is one, else computed on request with progress. */
export const useEvaluationStore = defineStore('evaluation', () => {
  const connection = useConnectionStore();
  const runId = ref<string | null>(null);
  const result = ref<RunEvaluation | null>(null);
  const progress = ref<EvaluationProgress | null>(null);
  const computing = ref(false);
  const error = ref<string | null>(null);

  connection.onConnected((client) => {
    client.on('evaluation-progress', (p) => {
      if (p.runId === runId.value) progress.value = p;
    });
  });

  /** Shows `id`'s cached evaluation, if any, without starting a trainer. */
  async function show(id: string): Promise<void> {
    runId.value = id;
    result.value = null;
    progress.value = null;
    error.value = null;
    computing.value = false;
    try {
      const cached = await connection.client!.api.getEvaluation({ runId: id, cachedOnly: true });
      if (runId.value === id) result.value = cached;
    } catch (e) {
      if (runId.value === id) error.value = (e as Error).message;
    }
  }

  async function compute(): Promise<void> {
    const id = runId.value;
    if (!id || computing.value) return;
    computing.value = true;
    error.value = null;
    try {
      const answer = await connection.client!.api.getEvaluation({ runId: id });
      if (runId.value === id) result.value = answer;
    } catch (e) {
      if (runId.value === id) error.value = (e as Error).message;
    } finally {
      if (runId.value === id) {
        computing.value = false;
        progress.value = null;
      }
    }
  }

  return { runId, result, progress, computing, error, show, compute };
});
