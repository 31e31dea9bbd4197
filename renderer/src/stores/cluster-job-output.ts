import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { isLiveJob } from '../cluster-job-labels.js';
import { useClusterRunsStore } from './cluster-runs.js';
import { useClusterTargetStore } from './cluster-target.js';
import { useConnectionStore } from './connection.js';

/** How often an open output is read again while its job runs. */
const OUTPUT_POLL_MS = 2000;
/** The most of an output kept on screen: its tail, where a job's news is. */
const KEEP_CHARS = 200_000;

/** One job's stdout/stderr, opened from the Cluster panel, read on from where it was while the job is live. */
export const useClusterJobOutputStore = defineStore('cluster-job-output', () => {
  const connection = useConnectionStore();
  const clusterTarget = useClusterTargetStore();
  const clusterRuns = useClusterRunsStore();
  /** The cluster run whose output is open, or null. */
  const openFor = ref<string | null>(null);
  const jobId = ref<number | null>(null);
  const text = ref('');
  const error = ref<string | null>(null);
  let offset = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sequence = 0;

  async function readMore(mine: number): Promise<void> {
    const clusterRunId = openFor.value;
    if (!clusterRunId || jobId.value === null) return;
    try {
      // A read returns at most a chunk: read on until caught up with the file.
      for (;;) {
        const chunk = await connection.client!.api.readClusterJobOutput({ target: clusterTarget.target, clusterRunId, jobId: jobId.value, offset });
        if (mine !== sequence) return;
        text.value = (text.value + chunk.text).slice(-KEEP_CHARS);
        error.value = null;
        const progressed = chunk.nextOffset > offset;
        offset = chunk.nextOffset;
        if (!progressed || offset >= chunk.size) break;
      }
    } catch (e) {
      if (mine === sequence) error.value = (e as Error).message;
    }
    if (mine !== sequence) return;
    const job = clusterRuns.list.find((r) => r.id === clusterRunId)?.jobs.find((j) => j.jobId === jobId.value);
    // Reads go on until the list shows the job ended; the read that saw it came after, so it holds the last lines.
    if (job && isLiveJob(job)) timer = setTimeout(() => void readMore(mine), OUTPUT_POLL_MS);
  }

  /** Opens the output of the run's latest job; opening the open one closes it. */
  function toggle(clusterRunId: string): void {
    const wasOpen = openFor.value === clusterRunId;
    close();
    if (wasOpen) return;
    const run = clusterRuns.list.find((r) => r.id === clusterRunId);
    if (!run) return;
    openFor.value = clusterRunId;
    jobId.value = run.jobs.at(-1)!.jobId;
    void readMore(sequence);
  }

  function close(): void {
    clearTimeout(timer);
    sequence++;
    openFor.value = null;
    jobId.value = null;
    text.value = '';
    error.value = null;
    offset = 0;
  }

  watch(() => clusterTarget.target, close);

  return { openFor, jobId, text, error, toggle, close };
});
