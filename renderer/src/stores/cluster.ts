import { defineStore } from 'pinia';
import { ref } from 'vue';
import { CLUSTER_REFRESH_SEC, type ClusterStatusResult } from '../../../shared/cluster-status.js';
import { useConnectionStore } from './connection.js';

/** The Slurm cluster the host is a node of, read again every few seconds (a setting). */
export const useClusterStore = defineStore('cluster', () => {
  const connection = useConnectionStore();
  const result = ref<ClusterStatusResult | null>(null);
  const error = ref<string | null>(null);
  const refreshSec = ref<number>(CLUSTER_REFRESH_SEC.default);
  const updatedAt = ref<number | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function refresh(): Promise<void> {
    if (!connection.client) return;
    try {
      result.value = await connection.client.api.getClusterStatus({});
      error.value = null;
      updatedAt.value = Date.now();
    } catch (e) {
      error.value = (e as Error).message;
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

  return { result, error, refreshSec, updatedAt, setRefresh, checkNow };
});
