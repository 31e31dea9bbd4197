import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, triggerRef, watch } from 'vue';
import type { ApiClient } from '../../../shared/api-client.js';
import type { FieldError } from '../../../shared/field-error.js';
import { fieldErrors } from '../../../shared/field-error.js';
import { DEFAULT_RUN_CONFIG, RunConfig } from '../../../shared/run-config.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { HyperparamChange } from '../../../shared/trainer-protocol.js';
import { RunTimeline } from '../series/run-timeline.js';
import { useConnectionStore } from './connection.js';
import { useRunsStore } from './runs.js';

/** A form's errors by the field they concern (`lr`, `batchSize`, `dataset`, `target`, …). */
export type FormErrors = Record<string, string>;

/** The new-run form's fields as typed (text, so a half-typed number is kept as it is). */
export interface RunDraft {
  dataset: 'fashion-mnist' | 'csv';
  csvPath: string;
  target: string;
  model: string;
  epochs: string;
  batchSize: string;
  lr: string;
  optimizer: string;
  seed: string;
  limit: string;
}

function defaultDraft(): RunDraft {
  const c = DEFAULT_RUN_CONFIG;
  return {
    dataset: 'fashion-mnist',
    csvPath: 'resources/linear-regression.csv',
    target: 'y',
    model: c.model,
    epochs: String(c.epochs),
    batchSize: String(c.batchSize),
    lr: String(c.lr),
    optimizer: c.optimizer,
    seed: String(c.seed),
    limit: '',
  };
}

function byField(errors: FieldError[]): FormErrors {
  const out: FormErrors = {};
  for (const e of errors) {
    const field =
      e.field === 'dataset.target' ? 'target' : e.field === 'dataset.path' ? 'csvPath' : e.field.startsWith('dataset') ? 'dataset' : e.field;
    out[field] ??= e.message;
  }
  return out;
}

/**
 * The run on screen and its live training: its timeline (rebuilt from history, then fed
 * record by record), starting runs, and the live controls. Chart updates are batched to one
 * per animation frame.
 */
export const useTrainingStore = defineStore('training', () => {
  const connection = useConnectionStore();
  const runs = useRunsStore();
  const timeline = shallowRef<RunTimeline | null>(null);
  /** Bumped whenever the timeline changed, at most once per animation frame. */
  const revision = ref(0);
  const formErrors = ref<FormErrors>({});
  /** What the user typed in the new-run form; kept here so it survives the form leaving the screen while a run starts. */
  const draft = reactive<RunDraft>(defaultDraft());
  const liveErrors = ref<FormErrors>({});
  const starting = ref(false);
  /** Set by the desktop menu's Start Run: the form, which owns the fields, submits itself once shown. */
  const startPending = ref(false);
  const actionError = ref<string | null>(null);
  const activeRunId = computed(() => connection.info?.activeRunId ?? null);
  const shownRunId = computed(() => runs.selectedId);
  const isLive = computed(() => shownRunId.value !== null && shownRunId.value === activeRunId.value);
  let frame = 0;
  let loadToken = 0;
  let loadingRunId: string | null = null;

  function redraw(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      revision.value++;
      triggerRef(timeline);
    });
  }

  connection.onConnected((client: ApiClient) => {
    client.on('run-record', ({ runId, record }) => {
      // While a run's history loads, its records are already in the log being read.
      if (loadingRunId === runId || timeline.value?.runId !== runId) return;
      timeline.value.apply(record);
      redraw();
    });
    if (!runs.selectedId && connection.info?.activeRunId) runs.select(connection.info.activeRunId);
    else if (shownRunId.value) void load(shownRunId.value);
  });

  // Show a starting run at once, so its loading progress is visible before training begins.
  watch(activeRunId, (id) => {
    if (id && starting.value) runs.select(id);
  });

  watch(shownRunId, (id) => {
    timeline.value = null;
    if (id) void load(id);
  });

  /**
   * Rebuilds a run from its log. Events on one connection arrive in order, so every record sent
   * before `getRun`'s answer is in the log it returns, and every one after is new.
   */
  async function load(runId: string): Promise<void> {
    const token = ++loadToken;
    loadingRunId = runId;
    try {
      const detail = await connection.client!.api.getRun({ runId });
      if (token !== loadToken) return;
      const fresh = new RunTimeline(runId);
      for (const r of detail.records) fresh.apply(r);
      if (detail.lastStep) fresh.apply(detail.lastStep);
      timeline.value = fresh;
      revision.value++;
    } catch (e) {
      if (token === loadToken) actionError.value = (e as Error).message;
    } finally {
      if (token === loadToken) loadingRunId = null;
    }
  }

  async function start(candidate: unknown): Promise<void> {
    formErrors.value = {};
    actionError.value = null;
    const checked = RunConfig.safeParse(candidate);
    if (!checked.success) {
      formErrors.value = byField(fieldErrors(checked.error));
      return;
    }
    starting.value = true;
    try {
      const { runId } = await connection.client!.api.startRun({ config: checked.data });
      runs.select(runId);
    } catch (e) {
      runs.select(null);
      if (e instanceof ApiError && e.error.fields) formErrors.value = byField(e.error.fields);
      else actionError.value = (e as Error).message;
    } finally {
      starting.value = false;
    }
  }

  async function control(action: 'pauseRun' | 'unpauseRun' | 'stopRun'): Promise<void> {
    const runId = activeRunId.value;
    if (!runId) return;
    actionError.value = null;
    try {
      await connection.client!.api[action]({ runId });
    } catch (e) {
      actionError.value = (e as Error).message;
    }
  }

  async function apply(candidate: { lr?: number; batchSize?: number; temperature?: number; alpha?: number }): Promise<void> {
    liveErrors.value = {};
    const checked = HyperparamChange.safeParse(candidate);
    if (!checked.success) {
      liveErrors.value = byField(fieldErrors(checked.error));
      return;
    }
    try {
      await connection.client!.api.setHyperparams({ runId: activeRunId.value!, change: checked.data });
    } catch (e) {
      if (e instanceof ApiError && e.error.fields) liveErrors.value = byField(e.error.fields);
      else actionError.value = (e as Error).message;
    }
  }

  return {
    timeline,
    revision,
    draft,
    formErrors,
    liveErrors,
    starting,
    startPending,
    actionError,
    activeRunId,
    shownRunId,
    isLive,
    start,
    requestStart: () => (startPending.value = true),
    control,
    apply,
    load,
  };
});
