import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { RunConfig } from '../../../shared/run-config.js';

/** The new-run form's lr schedule and early-stopping fields as typed. */
export interface RunOptionsDraft {
  schedule: 'constant' | 'step' | 'cosine';
  everyEpochs: string;
  gamma: string;
  minLr: string;
  warmupSteps: string;
  /** Empty: early stopping off. */
  patience: string;
  minDelta: string;
}

/** Error keys (config field paths) these fields show next to themselves. */
export const RUN_OPTION_FIELDS = {
  schedule: 'schedule',
  everyEpochs: 'schedule.everyEpochs',
  gamma: 'schedule.gamma',
  minLr: 'schedule.minLr',
  warmupSteps: 'warmupSteps',
  patience: 'earlyStopping.patience',
  minDelta: 'earlyStopping.minDelta',
} as const satisfies Record<keyof RunOptionsDraft, string>;

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** Kept apart from the rest of the draft so the schedule fields stay one component's concern. */
export const useRunOptionsDraftStore = defineStore('run-options-draft', () => {
  const draft = reactive<RunOptionsDraft>({
    schedule: 'constant',
    everyEpochs: '1',
    gamma: '0.5',
    minLr: '0',
    warmupSteps: '0',
    patience: '',
    minDelta: '0',
  });

  /** The config fields these inputs set; the config's schema checks them with the rest. */
  function toConfig(): Pick<RunConfig, 'schedule' | 'warmupSteps' | 'earlyStopping'> {
    const d = draft;
    const schedule =
      d.schedule === 'step'
        ? { kind: 'step' as const, everyEpochs: num(d.everyEpochs), gamma: num(d.gamma) }
        : d.schedule === 'cosine'
          ? { kind: 'cosine' as const, minLr: num(d.minLr) }
          : undefined;
    return {
      schedule,
      warmupSteps: d.warmupSteps.trim() === '' || d.warmupSteps.trim() === '0' ? undefined : num(d.warmupSteps),
      earlyStopping: d.patience.trim() === '' ? undefined : { patience: num(d.patience), minDelta: num(d.minDelta) },
    };
  }

  return { draft, toConfig };
});
