import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import { fieldErrors, type FieldError } from '../../../shared/field-error.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { summarizeSweep, SweepSpec, type SweepStatus, type SweepSummary } from '../../../shared/sweep.js';
import { useConnectionStore } from './connection.js';
import { useRunsStore } from './runs.js';

/** A form's errors by the field they concern: `lr` (the list), `base.epochs`, `lrMin`, `count`, … */
export type SweepFormErrors = Record<string, string>;

/** The new-sweep form's own fields as typed; its base config is the new-run form's draft. */
export interface SweepDraft {
  mode: 'grid' | 'random';
  /** Comma-separated values: the grid's, or a random search's choices (not lr). */
  lr: string;
  batchSize: string;
  optimizer: string;
  seed: string;
  count: string;
  lrMin: string;
  lrMax: string;
  lrLog: boolean;
  sampleSeed: string;
}

/** Which form field a spec error belongs to. */
function formField(field: string): string {
  const [head, param, sub] = field.split('.');
  if (head === 'base') return param === 'dataset' ? (sub === 'target' ? 'target' : sub === 'path' ? 'csvPath' : 'dataset') : param!;
  if (head === 'values' || head === 'space') {
    if (param === 'lr' && head === 'space') return sub === 'max' ? 'lrMax' : 'lrMin';
    return param ? `list-${param}` : head;
  }
  if (head === 'seed') return 'sampleSeed';
  return head ?? '(input)';
}

/** A list's errors say which value (`value 2: …`), not the schema's path. */
function byField(errors: FieldError[]): SweepFormErrors {
  const out: SweepFormErrors = {};
  for (const e of errors) {
    const field = formField(e.field);
    const position = /^(?:values|space)\.\w+\.(\d+)$/.exec(e.field)?.[1];
    const text = e.message.slice(e.message.indexOf(': ') + 2);
    out[field] ??= field.startsWith('list-') ? `${position === undefined ? '' : `value ${Number(position) + 1}: `}${text}` : e.message;
  }
  return out;
}

/** Sweeps: whether their view is on screen, the list, the sweep shown, and starting, cancelling and continuing them. */
export const useSweepsStore = defineStore('sweeps', () => {
  const connection = useConnectionStore();
  const runs = useRunsStore();
  const viewOpen = ref(false);
  const summaries = ref<SweepSummary[]>([]);
  const selectedId = ref<string | null>(null);
  const selected = shallowRef<SweepStatus | null>(null);
  const formErrors = ref<SweepFormErrors>({});
  const actionError = ref<string | null>(null);
  const starting = ref(false);
  const draft = reactive<SweepDraft>({
    mode: 'grid',
    lr: '0.001, 0.003',
    batchSize: '32, 64',
    optimizer: '',
    seed: '',
    count: '8',
    lrMin: '0.0001',
    lrMax: '0.01',
    lrLog: true,
    sampleSeed: '0',
  });

  // Picking a run anywhere (the run list, "+ New run", a chart point) or comparing runs leaves the sweeps view.
  runs.$onAction(({ name }) => {
    if (name === 'select' || name === 'compare') viewOpen.value = false;
  });

  connection.onConnected((client) => {
    void refresh();
    if (selectedId.value) void load(selectedId.value);
    client.on('sweeps-changed', ({ sweep }) => {
      const summary = summarizeSweep(sweep);
      const at = summaries.value.findIndex((s) => s.id === sweep.id);
      if (at >= 0) summaries.value = summaries.value.map((s, i) => (i === at ? summary : s));
      else void refresh();
      if (sweep.id === selectedId.value) selected.value = sweep;
    });
  });

  async function refresh(): Promise<void> {
    try {
      summaries.value = await connection.client!.api.listSweeps({});
    } catch {
      // The connection dropped: the banner says so, and the list reloads on reconnect.
    }
  }

  async function load(sweepId: string): Promise<void> {
    try {
      const sweep = await connection.client!.api.getSweep({ sweepId });
      if (selectedId.value === sweepId) selected.value = sweep;
    } catch (e) {
      actionError.value = (e as Error).message;
    }
  }

  function open(): void {
    viewOpen.value = true;
  }

  /** Shows a sweep, or the new-sweep form for `null`. */
  function select(sweepId: string | null): void {
    viewOpen.value = true;
    selectedId.value = sweepId;
    selected.value = null;
    actionError.value = null;
    if (sweepId) void load(sweepId);
  }

  async function start(candidate: unknown): Promise<void> {
    formErrors.value = {};
    actionError.value = null;
    const checked = SweepSpec.safeParse(candidate);
    if (!checked.success) {
      formErrors.value = byField(fieldErrors(checked.error));
      return;
    }
    starting.value = true;
    try {
      const { sweepId } = await connection.client!.api.startSweep({ spec: checked.data });
      await refresh();
      select(sweepId);
    } catch (e) {
      if (e instanceof ApiError && e.error.fields) formErrors.value = byField(e.error.fields);
      else actionError.value = (e as Error).message;
    } finally {
      starting.value = false;
    }
  }

  async function act(action: 'cancelSweep' | 'continueSweep', sweepId: string): Promise<void> {
    actionError.value = null;
    try {
      const sweep = await connection.client!.api[action]({ sweepId });
      if (sweepId === selectedId.value) selected.value = sweep;
      await refresh();
    } catch (e) {
      actionError.value = (e as Error).message;
    }
  }

  /** Opens a trial's run the way the run list does. */
  function openRun(runId: string): void {
    runs.select(runId);
  }

  return {
    viewOpen,
    summaries,
    selectedId,
    selected,
    draft,
    formErrors,
    actionError,
    starting,
    open,
    select,
    start,
    cancel: (id: string) => act('cancelSweep', id),
    resume: (id: string) => act('continueSweep', id),
    openRun,
  };
});
