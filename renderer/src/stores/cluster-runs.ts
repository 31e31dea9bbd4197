import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { ClusterRun } from '../../../shared/cluster-job.js';
import { useClusterTargetStore } from './cluster-target.js';
import { useClusterStore } from './cluster.js';
import { useConnectionStore } from './connection.js';
import { useRunsStore } from './runs.js';

type RunAction = 'cancelClusterJob' | 'requeueClusterJob' | 'resumeClusterRun';

/** The runs this app submitted to the chosen cluster, read again with its status, and what can be done to them. */
export const useClusterRunsStore = defineStore('cluster-runs', () => {
  const connection = useConnectionStore();
  const cluster = useClusterStore();
  const clusterTarget = useClusterTargetStore();
  const runs = useRunsStore();
  const list = ref<ClusterRun[]>([]);
  const error = ref<string | null>(null);
  /** The cluster run an action is under way for, so its buttons wait. */
  const busy = ref<string | null>(null);
  /** An action's failure, by cluster run. */
  const actionErrors = ref<Record<string, string>>({});

  let sequence = 0;
  async function refresh(): Promise<void> {
    const client = connection.client;
    if (!client || cluster.result?.kind !== 'status') return;
    const mine = ++sequence;
    try {
      const answer = await client.api.listClusterRuns({ target: clusterTarget.target });
      if (mine !== sequence) return;
      list.value = answer;
      error.value = null;
    } catch (e) {
      if (mine === sequence) error.value = (e as Error).message;
    }
  }

  // The status store sets the pace; a cluster that answered is asked for its runs too.
  watch(() => cluster.updatedAt, () => void refresh(), { immediate: true });
  watch(
    () => clusterTarget.target,
    () => {
      sequence++;
      list.value = [];
      error.value = null;
      actionErrors.value = {};
    },
  );

  function replace(run: ClusterRun): void {
    const at = list.value.findIndex((r) => r.id === run.id);
    list.value = at === -1 ? [run, ...list.value] : list.value.map((r, i) => (i === at ? run : r));
  }

  async function act(action: RunAction, clusterRunId: string): Promise<void> {
    busy.value = clusterRunId;
    actionErrors.value = Object.fromEntries(Object.entries(actionErrors.value).filter(([id]) => id !== clusterRunId));
    try {
      replace(await connection.client!.api[action]({ target: clusterTarget.target, clusterRunId }));
    } catch (e) {
      actionErrors.value = { ...actionErrors.value, [clusterRunId]: (e as Error).message };
    } finally {
      busy.value = null;
    }
  }

  /** Copies the run's log here as it grows and opens its page, as the run list does. */
  async function showCurves(clusterRunId: string): Promise<void> {
    busy.value = clusterRunId;
    try {
      const { runId } = await connection.client!.api.followClusterRun({ target: clusterTarget.target, clusterRunId });
      await runs.refresh();
      runs.select(runId);
    } catch (e) {
      actionErrors.value = { ...actionErrors.value, [clusterRunId]: (e as Error).message };
    } finally {
      busy.value = null;
    }
  }

  return {
    list,
    error,
    busy,
    actionErrors,
    refresh,
    added: replace,
    cancel: (id: string) => act('cancelClusterJob', id),
    requeue: (id: string) => act('requeueClusterJob', id),
    resume: (id: string) => act('resumeClusterRun', id),
    showCurves,
  };
});
