import { describe, expect, it } from 'vitest';
import { configuredLr, scheduledLr, checkSchedule } from '../../trainer/lr-schedule.js';
import { afterValidation, type ValidationState } from '../../trainer/validation-tracker.js';

const at = (step: number, epoch = 1, progress = 0) => ({ step, epoch, progress });

describe('lr schedules', () => {
  it('constant without a schedule', () => {
    expect(configuredLr({ lr: 0.01 }, at(0))).toBe(0.01);
    expect(configuredLr({ lr: 0.01 }, at(5000, 40, 0.9))).toBe(0.01);
  });

  it('step: × gamma every everyEpochs epochs', () => {
    const config = { lr: 0.1, schedule: { kind: 'step' as const, everyEpochs: 2, gamma: 0.5 } };
    expect([1, 2, 3, 4, 5, 6].map((epoch) => configuredLr(config, at(0, epoch)))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('cosine: lr at the start, the midpoint of lr and minLr halfway, minLr at the end', () => {
    const config = { lr: 0.1, schedule: { kind: 'cosine' as const, minLr: 0.01 } };
    expect(configuredLr(config, at(0, 1, 0))).toBeCloseTo(0.1, 12);
    expect(configuredLr(config, at(0, 1, 0.5))).toBeCloseTo(0.055, 12);
    expect(configuredLr(config, at(0, 1, 0.25))).toBeCloseTo(0.01 + 0.09 * (1 + Math.SQRT1_2) / 2, 12);
    expect(configuredLr(config, at(0, 1, 1))).toBeCloseTo(0.01, 12);
  });

  it('warm-up: linear from lr/warmupSteps to lr over warmupSteps steps, then the schedule', () => {
    const config = { lr: 0.1, warmupSteps: 4 };
    expect([0, 1, 2, 3, 4, 100].map((s) => +configuredLr(config, at(s)).toFixed(12))).toEqual([0.025, 0.05, 0.075, 0.1, 0.1, 0.1]);
    const cosine = { lr: 0.1, warmupSteps: 10, schedule: { kind: 'cosine' as const, minLr: 0 } };
    expect(configuredLr(cosine, at(4, 1, 0.5))).toBeCloseTo(0.05 * 0.5, 12);
  });

  it('a live change makes that step train at the typed lr and scales the rest of the schedule', () => {
    const config = { lr: 0.1, schedule: { kind: 'step' as const, everyEpochs: 1, gamma: 0.5 } };
    // At epoch 2 the schedule gives 0.05; the user types 0.02: ×0.4 from now on.
    const anchor = { lr: 0.02, scheduledLr: configuredLr(config, at(10, 2)) };
    expect(scheduledLr(config, at(10, 2), anchor)).toBe(0.02);
    expect(scheduledLr(config, at(20, 3), anchor)).toBeCloseTo(0.01, 15);
    // Without a schedule the typed value is used exactly.
    expect(scheduledLr({ lr: 0.002 }, at(3), { lr: 0.01, scheduledLr: 0.002 })).toBe(0.01);
  });

  it('refuses a cosine minLr at or above lr, naming the field', () => {
    expect(() => checkSchedule({ lr: 0.01, schedule: { kind: 'cosine', minLr: 0.01 } })).toThrow(/schedule\.minLr: must be ≥ 0 and below lr \(0\.01\)/);
    expect(() => checkSchedule({ lr: 0.01, schedule: { kind: 'cosine', minLr: 0.001 } })).not.toThrow();
  });
});

describe('best epoch and early stopping', () => {
  function fold(losses: number[], early?: { patience: number; minDelta: number }) {
    let state: ValidationState | undefined;
    const out: { best: boolean; stop: boolean }[] = [];
    losses.forEach((loss, i) => {
      const v = afterValidation(state, i + 1, loss, early);
      state = v.state;
      out.push({ best: v.newBest, stop: v.stop });
    });
    return { state: state!, out };
  }

  it('keeps the lowest loss as the best epoch', () => {
    const { state, out } = fold([0.9, 0.7, 0.8, 0.6, 0.65]);
    expect(out.map((o) => o.best)).toEqual([true, true, false, true, false]);
    expect(state).toMatchObject({ bestEpoch: 4, bestValLoss: 0.6 });
    expect(out.some((o) => o.stop)).toBe(false);
  });

  it('stops after `patience` epochs without an improvement beyond minDelta', () => {
    expect(fold([1, 0.9, 0.95, 0.92], { patience: 2, minDelta: 0 }).out.map((o) => o.stop)).toEqual([false, false, false, true]);
    // 0.89 and 0.88 are better, but not by more than 0.05: they do not reset patience.
    const creeping = fold([1, 0.9, 0.89, 0.88], { patience: 2, minDelta: 0.05 });
    expect(creeping.out.map((o) => o.stop)).toEqual([false, false, false, true]);
    expect(creeping.state).toMatchObject({ bestEpoch: 4, bestValLoss: 0.88 });
    // A real improvement resets the count.
    expect(fold([1, 1.1, 0.5, 0.6, 0.7], { patience: 2, minDelta: 0 }).out.map((o) => o.stop)).toEqual([false, false, false, false, true]);
  });
});
