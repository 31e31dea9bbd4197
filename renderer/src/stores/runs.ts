import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RunMeta, RunSummary } from '../../../shared/run-record.js';
import { useConnectionStore } from './connection.js';

/** Run history: the list, which run is on screen (or which runs are compared), delete and resume. */
export const useRunsStore = defineStore('runs', () => {
  const connection = useConnectionStore();
  const summaries = ref<RunSummary[]>([]);
  const selectedId = ref<string | null>(null);
  const error = ref<string | null>(null);
  /** Runs ticked for comparison, in the order they were ticked. */
  const comparedIds = ref<string[]>([]);
  const comparing = ref(false);

  const selected = computed(() => summaries.value.find((r) => r.id === selectedId.value) ?? null);
  const compared = computed(() => comparedIds.value.flatMap((id) => summaries.value.filter((r) => r.id === id)));

  connection.onConnected((client) => {
    void refresh();
    client.on('runs-changed', () => void refresh());
  });

  let refreshSeq = 0;
  /** Reloads the list; a burst of changes can overlap, so only the newest answer is kept. */
  async function refresh(): Promise<void> {
    const client = connection.client;
    if (!client) return;
    const seq = ++refreshSeq;
    try {
      const list = await client.api.listRuns({});
      if (seq === refreshSeq) summaries.value = list;
    } catch {
      // The connection dropped: the banner says so, and the list reloads on reconnect.
    }
  }

  function select(runId: string | null): void {
    selectedId.value = runId;
    comparing.value = false;
    error.value = null;
  }

  function toggleCompared(runId: string): void {
    comparedIds.value = comparedIds.value.includes(runId) ? comparedIds.value.filter((id) => id !== runId) : [...comparedIds.value, runId];
    if (compared.value.length < 2) comparing.value = false;
  }

  function compare(): void {
    if (compared.value.length < 2) return;
    selectedId.value = null;
    comparing.value = true;
  }

  /** Shows exactly these runs side by side. */
  function compareRuns(ids: readonly string[]): void {
    comparedIds.value = [...ids];
    compare();
  }

  async function remove(runId: string): Promise<void> {
    try {
      await connection.client!.api.deleteRun({ runId });
      if (selectedId.value === runId) selectedId.value = null;
      comparedIds.value = comparedIds.value.filter((id) => id !== runId);
      await refresh();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function resume(runId: string): Promise<void> {
    try {
      error.value = null;
      await connection.client!.api.resumeRun({ runId });
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function setMeta(runId: string, meta: Partial<RunMeta>): Promise<void> {
    try {
      error.value = null;
      await connection.client!.api.setRunMeta({ runId, meta });
      await refresh();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return { summaries, selectedId, selected, comparedIds, compared, comparing, error, refresh, select, toggleCompared, compare, compareRuns, remove, resume, setMeta };
});
