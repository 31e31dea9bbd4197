import { fieldErrors, type FieldError } from './field-error.js';
import { RunConfig } from './run-config.js';
import { SWEEP_PARAMS, type GridSweep, type LrRange, type RandomSweep, type SweepSpec } from './sweep.js';
import { seededRandom } from './seeded-random.js';

/** A planned trial's config failed RunConfig; each error names the trial, the field and the value. */
export class SweepPlanError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'SweepPlanError';
  }
}

/** Every trial's config, in the order they run. Pure: the same spec always gives the same plan. */
export function planSweep(spec: SweepSpec): RunConfig[] {
  const patches = spec.mode === 'grid' ? gridPatches(spec) : randomPatches(spec);
  return patches.map((patch, i) => checked({ ...spec.base, ...patch }, i));
}

type Patch = Partial<Pick<RunConfig, (typeof SWEEP_PARAMS)[number]>>;

/** The cartesian product; the last hyperparameter (seed) varies fastest, so a config's seeds sit together. */
function gridPatches(spec: GridSweep): Patch[] {
  let patches: Patch[] = [{}];
  for (const param of SWEEP_PARAMS) {
    const values = spec.values[param];
    if (!values) continue;
    patches = patches.flatMap((p) => (values as readonly unknown[]).map((v) => ({ ...p, [param]: v })));
  }
  return patches;
}

function randomPatches(spec: RandomSweep): Patch[] {
  const next = seededRandom(spec.seed);
  const pick = <T>(values: readonly T[]) => values[Math.min(values.length - 1, Math.floor(next() * values.length))]!;
  const { space } = spec;
  return Array.from({ length: spec.count }, () => {
    const patch: Patch = {};
    if (space.lr) patch.lr = sampleLr(space.lr, next());
    if (space.batchSize) patch.batchSize = pick(space.batchSize);
    if (space.optimizer) patch.optimizer = pick(space.optimizer);
    if (space.seed) patch.seed = pick(space.seed);
    return patch;
  });
}

/** Three significant digits, so trials read like values a person would pick; kept within the range. */
export function sampleLr(range: LrRange, u: number): number {
  const raw = range.log
    ? Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)))
    : range.min + u * (range.max - range.min);
  return Math.min(range.max, Math.max(range.min, Number(raw.toPrecision(3))));
}

function checked(candidate: RunConfig, index: number): RunConfig {
  const parsed = RunConfig.safeParse(candidate);
  if (parsed.success) return parsed.data;
  throw new SweepPlanError(
    fieldErrors(parsed.error).map(({ field, message }) => {
      const value = field.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], candidate);
      const text = message.slice(message.indexOf(': ') + 2);
      return { field: `trials.${index}.${field}`, message: `trial ${index + 1}: ${field}: ${text} (got ${JSON.stringify(value)})` };
    }),
  );
}
