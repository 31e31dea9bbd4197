import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { CLUSTER_REFRESH_SEC, type ClusterStatusResult } from '../../../shared/cluster-status.js';
import { useClusterTargetStore } from './cluster-target.js';
import { useConnectionStore } from './connection.js';

/** The chosen Slurm cluster (the host's own, or a login node's), read again every few seconds (a setting). */
export const useClusterStore = defineStore('cluster', () => {
  const connection = useConnectionStore();
  const clusterTarget = useClusterTargetStore();
  const result = ref<ClusterStatusResult | null>(null);
  const error = ref<string | null>(null);
  const refreshSec = ref<number>(CLUSTER_REFRESH_SEC.default);
  const updatedAt = ref<number | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;

  let sequence = 0;
  /** Reads the status; an answer about a cluster no longer chosen is dropped. */
  async function refresh(): Promise<void> {
    if (!connection.client) return;
    const mine = ++sequence;
    try {
      const answer = await connection.client.api.getClusterStatus({ target: clusterTarget.target });
      if (mine !== sequence) return;
      result.value = answer;
      error.value = null;
      updatedAt.value = Date.now();
    } catch (e) {
      if (mine === sequence) error.value = (e as Error).message;
    }
  }

  /** Reads again after the interval; a host without Slurm's commands is asked again only on request. */
  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (result.value?.kind === 'unavailable' && result.value.reason === 'missing') return;
    timer = setTimeout(() => void refresh().then(schedule), refreshSec.value * 1000);
  }

  function setRefresh(sec: number): void {
    refreshSec.value = sec;
    schedule();
  }

  async function checkNow(): Promise<void> {
    await refresh();
    schedule();
  }

  connection.onConnected(() => void checkNow());
  watch(
    () => clusterTarget.target,
    () => {
      result.value = null;
      error.value = null;
      void checkNow();
    },
  );

  return { result, error, refreshSec, updatedAt, setRefresh, checkNow };
});
