import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../../shared/field-error.js';
import { DEFAULT_RUN_CONFIG, type RunConfig } from '../../shared/run-config.js';
import { bestTrial, rankTrials, SweepSpec, type SweepTrial } from '../../shared/sweep.js';
import { planSweep, SweepPlanError } from '../../shared/sweep-plan.js';

const base: RunConfig = { ...DEFAULT_RUN_CONFIG, limit: 300, epochs: 1 };
const errorsOf = (spec: unknown) => {
  const r = SweepSpec.safeParse(spec);
  return r.success ? [] : fieldErrors(r.error);
};

describe('grid sweeps', () => {
  it('plan the cartesian product over the base config, seed varying fastest', () => {
    const spec = SweepSpec.parse({ base, mode: 'grid', values: { lr: [0.001, 0.003], optimizer: ['adam', 'sgd'], seed: [1, 2] } });
    const plan = planSweep(spec);
    expect(plan).toHaveLength(8);
    expect(plan.map((c) => [c.lr, c.optimizer, c.seed])).toEqual([
      [0.001, 'adam', 1], [0.001, 'adam', 2], [0.001, 'sgd', 1], [0.001, 'sgd', 2],
      [0.003, 'adam', 1], [0.003, 'adam', 2], [0.003, 'sgd', 1], [0.003, 'sgd', 2],
    ]);
    for (const c of plan) expect(c).toMatchObject({ batchSize: base.batchSize, limit: 300, epochs: 1, model: 'mlp' });
    expect(new Set(plan.map((c) => JSON.stringify(c))).size).toBe(8);
  });

  it('refuse more than 200 trials, naming the field and the product', () => {
    const values = { lr: Array.from({ length: 15 }, (_, i) => (i + 1) / 1000), seed: Array.from({ length: 14 }, (_, i) => i) };
    expect(errorsOf({ base, mode: 'grid', values })).toEqual([
      { field: 'values', message: 'values: makes 15 lr × 14 seed = 210 trials; at most 200' },
    ]);
    expect(errorsOf({ base, mode: 'grid', values: { ...values, seed: values.seed.slice(0, 13) } })).toEqual([]);
  });

  it.each([
    [{ lr: [0.001, 0] }, 'values.lr.1', 'values.lr.1: must be a finite number > 0 and ≤ 10'],
    [{ batchSize: [32, 2.5] }, 'values.batchSize.1', 'values.batchSize.1: must be an integer from 1 to 65536'],
    [{ optimizer: ['adam', 'rmsprop'] }, 'values.optimizer.1', 'values.optimizer.1: must be one of: sgd, momentum, adam'],
    [{ seed: [1, 1] }, 'values.seed', 'values.seed: lists a value twice'],
    [{ lr: [] }, 'values.lr', 'values.lr: must be a list of 1 to 50 values'],
    [{}, 'values', 'values: name at least one of lr, batchSize, optimizer, seed'],
  ])('reject %j naming %s', (values, field, message) => {
    expect(errorsOf({ base, mode: 'grid', values })).toContainEqual({ field, message });
  });

  it('reject a bad base config by its field', () => {
    expect(errorsOf({ base: { ...base, epochs: 0 }, mode: 'grid', values: { seed: [1] } })).toContainEqual({
      field: 'base.epochs',
      message: 'base.epochs: must be an integer from 1 to 10000',
    });
  });

  it('check every planned config against RunConfig, naming the trial, field and value', () => {
    const unchecked = { base, mode: 'grid', values: { lr: [0.01, 20] } } as SweepSpec;
    expect(() => planSweep(unchecked)).toThrow(SweepPlanError);
    try {
      planSweep(unchecked);
    } catch (e) {
      expect((e as SweepPlanError).errors).toEqual([
        { field: 'trials.1.lr', message: 'trial 2: lr: must be a finite number > 0 and ≤ 10 (got 20)' },
      ]);
    }
  });
});

describe('random sweeps', () => {
  const random = (patch: object = {}) =>
    SweepSpec.parse({
      base,
      mode: 'random',
      count: 40,
      seed: 7,
      space: { lr: { min: 1e-4, max: 1e-2, log: true }, batchSize: [16, 32, 64], optimizer: ['adam', 'sgd'] },
      ...patch,
    });

  it('are reproducible from their seed and differ with another', () => {
    expect(planSweep(random())).toEqual(planSweep(random()));
    expect(planSweep(random({ seed: 8 }))).not.toEqual(planSweep(random()));
  });

  it('sample within the ranges and choices, log-uniformly across decades', () => {
    const plan = planSweep(random({ count: 200 }));
    expect(plan).toHaveLength(200);
    for (const c of plan) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-2);
      expect([16, 32, 64]).toContain(c.batchSize);
      expect(['adam', 'sgd']).toContain(c.optimizer);
      expect(c.seed).toBe(base.seed);
    }
    const lowDecade = plan.filter((c) => c.lr < 1e-3).length;
    expect(lowDecade).toBeGreaterThan(70);
    expect(lowDecade).toBeLessThan(130);
    expect(new Set(plan.map((c) => c.batchSize)).size).toBe(3);
    const linear = planSweep(random({ count: 200, space: { lr: { min: 1e-4, max: 1e-2, log: false } } }));
    expect(linear.filter((c) => c.lr < 1e-3).length).toBeLessThan(25);
  });

  it.each([
    [{ count: 0 }, 'count', 'count: must be an integer from 1 to 200'],
    [{ count: 201 }, 'count', 'count: must be an integer from 1 to 200'],
    [{ space: { lr: { min: 0.01, max: 0.001, log: true } } }, 'space.lr.max', 'space.lr.max: must be at least min'],
    [{ space: { lr: { min: 0, max: 0.001, log: true } } }, 'space.lr.min', 'space.lr.min: must be a finite number > 0 and ≤ 10'],
    [{ space: {} }, 'space', 'space: name at least one of lr, batchSize, optimizer, seed'],
  ])('reject %j naming %s', (patch, field, message) => {
    expect(errorsOf({ ...random(), ...patch })).toContainEqual({ field, message });
  });
});

describe('ranking', () => {
  const trial = (index: number, status: SweepTrial['status'], metric?: number): SweepTrial => ({
    index,
    config: base,
    status,
    runId: `run-${index}`,
    metric,
  });
  const trials = [trial(0, 'done', 0.8), trial(1, 'failed'), trial(2, 'done', 0.9), trial(3, 'done', 0.7)];

  it('picks the highest accuracy or the lowest loss, and sorts unfinished trials last', () => {
    expect(bestTrial(trials, { key: 'testAccuracy', goal: 'max' })).toEqual({ index: 2, runId: 'run-2', metric: 0.9 });
    expect(bestTrial(trials, { key: 'testLoss', goal: 'min' })).toEqual({ index: 3, runId: 'run-3', metric: 0.7 });
    expect(rankTrials(trials, { key: 'testAccuracy', goal: 'max' }).map((t) => t.index)).toEqual([2, 0, 3, 1]);
    expect(bestTrial([trial(0, 'failed')], { key: 'testAccuracy', goal: 'max' })).toBeNull();
  });
});
