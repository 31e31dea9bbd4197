import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { ClusterJobSpec } from '../../../shared/cluster-job.js';
import { fieldErrors, type FieldError } from '../../../shared/field-error.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { useClusterRunsStore } from './cluster-runs.js';
import { useClusterTargetStore } from './cluster-target.js';
import { useClusterStore } from './cluster.js';
import { useConnectionStore } from './connection.js';
import { useNewRunConfigStore } from './new-run-config.js';

/** The job form's fields as typed (text, so a half-typed number is kept as it is). */
export interface ClusterJobDraft {
  name: string;
  /** Empty: the cluster's default partition. */
  partition: string;
  /** Empty: the user's default account. */
  account: string;
  nodes: string;
  tasksPerNode: string;
  gpusPerNode: string;
  timeLimitMin: string;
}

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/**
 * The Cluster panel's job form: the job's resources, the run the new-run form describes, the
 * batch script a submit would sbatch, and the submit of exactly that script.
 */
export const useClusterJobDraftStore = defineStore('cluster-job-draft', () => {
  const connection = useConnectionStore();
  const clusterTarget = useClusterTargetStore();
  const cluster = useClusterStore();
  const clusterRuns = useClusterRunsStore();
  const newRun = useNewRunConfigStore();
  const draft = reactive<ClusterJobDraft>({ name: 'hpc-studio-run', partition: '', account: '', nodes: '1', tasksPerNode: '1', gpusPerNode: '0', timeLimitMin: '60' });
  /** Errors by the spec's field path (`name`, `tasksPerNode`, `config.epochs`), `(submit)` for the rest. */
  const errors = ref<Record<string, string>>({});
  /** The script shown, and the cluster run id that submits exactly it. */
  const preview = ref<{ script: string; clusterRunId: string } | null>(null);
  const busy = ref<'preview' | 'submit' | null>(null);

  const spec = computed(() => ({
    name: draft.name.trim(),
    ...(draft.partition ? { partition: draft.partition } : {}),
    ...(draft.account.trim() ? { account: draft.account.trim() } : {}),
    nodes: num(draft.nodes),
    tasksPerNode: num(draft.tasksPerNode),
    gpusPerNode: num(draft.gpusPerNode),
    timeLimitMin: num(draft.timeLimitMin),
    config: newRun.candidate,
  }));

  // A script shown is the one a submit sends: any change to what made it takes it away.
  watch([() => JSON.stringify(spec.value), () => clusterTarget.target], () => (preview.value = null));
  watch(
    () => clusterTarget.target,
    () => {
      draft.partition = '';
      errors.value = {};
    },
  );

  /** Field errors by the spec's own path: the host names them under the call's `spec`. */
  function showFieldErrors(list: FieldError[]): void {
    const out: Record<string, string> = {};
    for (const f of list) out[f.field.replace(/^spec\./, '')] ??= f.message.replace(/^spec\./, '');
    errors.value = out;
  }

  function fail(e: unknown): void {
    if (e instanceof ApiError && e.error.fields) showFieldErrors(e.error.fields);
    else errors.value = { '(submit)': (e as Error).message };
  }

  /** The spec, checked here first as the host will check it again; null (errors shown) when it does not pass. */
  function checked(): ClusterJobSpec | null {
    const result = ClusterJobSpec.safeParse(spec.value);
    if (result.success) return result.data;
    showFieldErrors(fieldErrors(result.error));
    return null;
  }

  async function showScript(): Promise<void> {
    errors.value = {};
    preview.value = null;
    const checkedSpec = checked();
    if (!checkedSpec) return;
    busy.value = 'preview';
    try {
      preview.value = await connection.client!.api.previewClusterJob({ target: clusterTarget.target, spec: checkedSpec });
    } catch (e) {
      preview.value = null;
      fail(e);
    } finally {
      busy.value = null;
    }
  }

  /** Submits the script on screen; true once Slurm took it. */
  async function submit(): Promise<boolean> {
    const checkedSpec = checked();
    if (!preview.value || !checkedSpec) return false;
    errors.value = {};
    busy.value = 'submit';
    try {
      const run = await connection.client!.api.submitClusterJob({ target: clusterTarget.target, spec: checkedSpec, clusterRunId: preview.value.clusterRunId });
      preview.value = null;
      clusterRuns.added(run);
      void cluster.checkNow();
      return true;
    } catch (e) {
      fail(e);
      return false;
    } finally {
      busy.value = null;
    }
  }

  function discardScript(): void {
    preview.value = null;
  }

  return { draft, errors, preview, busy, showScript, submit, discardScript };
});
