import { z } from 'zod';
import { LIMITS, RunConfig, type DatasetSpec } from './run-config.js';

/** A sweep runs its trials one after another, so its size is capped to keep it finite. */
export const SWEEP_LIMITS = {
  trials: { max: 200 },
  /** Values per hyperparameter in a grid or a random search's choices. */
  values: { max: 50 },
} as const;

/** The hyperparameters a sweep varies, in the order the CLI, tables and charts list them. */
export const SWEEP_PARAMS = ['lr', 'batchSize', 'optimizer', 'seed'] as const;
export type SweepParam = (typeof SWEEP_PARAMS)[number];

const { lr: Lr, batchSize: Batch, optimizer: Optimizer, seed: Seed } = RunConfig.shape;

const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: `must be a list of 1 to ${SWEEP_LIMITS.values.max} values` })
    .min(1, { error: `must be a list of 1 to ${SWEEP_LIMITS.values.max} values` })
    .max(SWEEP_LIMITS.values.max, { error: `must be a list of 1 to ${SWEEP_LIMITS.values.max} values` })
    .refine((values) => new Set(values).size === values.length, { error: 'lists a value twice' })
    .optional();

const ValueLists = z.object({
  lr: list(Lr),
  batchSize: list(Batch),
  optimizer: list(Optimizer),
  seed: list(Seed),
});

export const GridSweep = z
  .object({
    base: RunConfig,
    mode: z.literal('grid'),
    values: ValueLists,
  })
  .superRefine((spec, ctx) => {
    const sizes = SWEEP_PARAMS.flatMap((p) => (spec.values[p] ? [[p, spec.values[p].length] as const] : []));
    if (sizes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `name at least one of ${SWEEP_PARAMS.join(', ')}` });
      return;
    }
    const total = sizes.reduce((n, [, size]) => n * size, 1);
    if (total > SWEEP_LIMITS.trials.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `makes ${sizes.map(([p, n]) => `${n} ${p}`).join(' × ')} = ${total} trials; at most ${SWEEP_LIMITS.trials.max}`,
      });
    }
  });

const lrBound = z
  .number({ error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` })
  .gt(LIMITS.lr.min, { error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` })
  .max(LIMITS.lr.max, { error: `must be a finite number > ${LIMITS.lr.min} and ≤ ${LIMITS.lr.max}` });

export const LrRange = z
  .object({
    min: lrBound,
    max: lrBound,
    /** Sample log-uniformly (each decade equally often), as learning rates usually are. */
    log: z.boolean({ error: 'must be true or false' }),
  })
  .refine((r) => r.min <= r.max, { path: ['max'], error: 'must be at least min' });
export type LrRange = z.infer<typeof LrRange>;

export const RandomSweep = z
  .object({
    base: RunConfig,
    mode: z.literal('random'),
    count: z
      .number({ error: `must be an integer from 1 to ${SWEEP_LIMITS.trials.max}` })
      .int({ error: `must be an integer from 1 to ${SWEEP_LIMITS.trials.max}` })
      .min(1, { error: `must be an integer from 1 to ${SWEEP_LIMITS.trials.max}` })
      .max(SWEEP_LIMITS.trials.max, { error: `must be an integer from 1 to ${SWEEP_LIMITS.trials.max}` }),
    space: z.object({
      lr: LrRange.optional(),
      batchSize: list(Batch),
      optimizer: list(Optimizer),
      seed: list(Seed),
    }),
    /** Seeds the sampler, so the same spec always plans the same trials. */
    seed: Seed,
  })
  .superRefine((spec, ctx) => {
    if (SWEEP_PARAMS.every((p) => spec.space[p] === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['space'], message: `name at least one of ${SWEEP_PARAMS.join(', ')}` });
    }
  });

export const SweepSpec = z.discriminatedUnion('mode', [GridSweep, RandomSweep], { error: 'mode: must be one of: grid, random' });
export type SweepSpec = z.infer<typeof SweepSpec>;
export type GridSweep = z.infer<typeof GridSweep>;
export type RandomSweep = z.infer<typeof RandomSweep>;

/** What a sweep ranks its trials by: test accuracy for classification, test loss (MSE) for regression. */
export const SweepMetric = z.object({
  key: z.enum(['testAccuracy', 'testLoss']),
  goal: z.enum(['max', 'min']),
});
export type SweepMetric = z.infer<typeof SweepMetric>;

export function sweepMetric(dataset: DatasetSpec): SweepMetric {
  return dataset.kind === 'csv' ? { key: 'testLoss', goal: 'min' } : { key: 'testAccuracy', goal: 'max' };
}

export const TRIAL_STATUSES = ['queued', 'running', 'done', 'cancelled', 'failed'] as const;
export const TrialStatus = z.enum(TRIAL_STATUSES);
export type TrialStatus = z.infer<typeof TrialStatus>;

export const SweepTrial = z.object({
  index: z.number().int().nonnegative(),
  config: RunConfig,
  status: TrialStatus,
  /** The run this trial trains, once it has one. */
  runId: z.string().optional(),
  testLoss: z.number().optional(),
  testAccuracy: z.number().optional(),
  /** The sweep's metric for this trial, once it is done. */
  metric: z.number().optional(),
  /** Why it failed or was cancelled. */
  reason: z.string().optional(),
  /** Training progress, 0–1, while it runs. */
  progress: z.number().min(0).max(1).optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
});
export type SweepTrial = z.infer<typeof SweepTrial>;

/**
 * `interrupted`: the process running it exited, or a trial's run was stopped from outside the
 * sweep; it can be continued.
 */
export const SWEEP_STATES = ['queued', 'running', 'done', 'cancelled', 'interrupted'] as const;
export const SweepState = z.enum(SWEEP_STATES);
export type SweepState = z.infer<typeof SweepState>;

export const SweepBest = z.object({ index: z.number().int(), runId: z.string(), metric: z.number() });
export type SweepBest = z.infer<typeof SweepBest>;

export const SweepStatus = z.object({
  id: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  spec: SweepSpec,
  metric: SweepMetric,
  state: SweepState,
  reason: z.string().optional(),
  trials: z.array(SweepTrial),
  best: SweepBest.nullable(),
});
export type SweepStatus = z.infer<typeof SweepStatus>;

/** A sweep as the list shows it: no per-trial configs. */
export const SweepSummary = z.object({
  id: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  mode: z.enum(['grid', 'random']),
  base: RunConfig,
  metric: SweepMetric,
  state: SweepState,
  reason: z.string().optional(),
  counts: z.record(TrialStatus, z.number().int()),
  total: z.number().int(),
  best: SweepBest.nullable(),
});
export type SweepSummary = z.infer<typeof SweepSummary>;

export function summarizeSweep(sweep: SweepStatus): SweepSummary {
  const counts = Object.fromEntries(TRIAL_STATUSES.map((s) => [s, 0])) as Record<TrialStatus, number>;
  for (const t of sweep.trials) counts[t.status]++;
  return {
    id: sweep.id,
    createdAt: sweep.createdAt,
    updatedAt: sweep.updatedAt,
    mode: sweep.spec.mode,
    base: sweep.spec.base,
    metric: sweep.metric,
    state: sweep.state,
    reason: sweep.reason,
    counts,
    total: sweep.trials.length,
    best: sweep.best,
  };
}

/** The best finished trial by the sweep's metric; the earlier trial wins a tie. */
export function bestTrial(trials: readonly SweepTrial[], metric: SweepMetric): SweepBest | null {
  let best: SweepBest | null = null;
  for (const t of trials) {
    if (t.status !== 'done' || t.metric === undefined || t.runId === undefined) continue;
    const better = best === null || (metric.goal === 'max' ? t.metric > best.metric : t.metric < best.metric);
    if (better) best = { index: t.index, runId: t.runId, metric: t.metric };
  }
  return best;
}

/** Trials sorted best first by the metric; trials without one follow in their order. */
export function rankTrials(trials: readonly SweepTrial[], metric: SweepMetric): SweepTrial[] {
  const sign = metric.goal === 'max' ? -1 : 1;
  return [...trials].sort((a, b) => {
    if (a.metric === undefined || b.metric === undefined) {
      return (a.metric === undefined ? 1 : 0) - (b.metric === undefined ? 1 : 0) || a.index - b.index;
    }
    return sign * (a.metric - b.metric) || a.index - b.index;
  });
}

export function formatMetric(metric: SweepMetric, value: number | undefined): string {
  if (value === undefined) return '–';
  return metric.key === 'testAccuracy' ? `${(value * 100).toFixed(2)} %` : value.toPrecision(4);
}

export const METRIC_LABEL: Record<SweepMetric['key'], string> = { testAccuracy: 'test accuracy', testLoss: 'test loss (MSE)' };
