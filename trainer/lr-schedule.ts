import type { RunConfig } from '../shared/run-config.js';
import { InputError } from './input-error.js';

/** Where the run is when a step is about to be taken. */
export interface SchedulePoint {
  /** Steps already taken (0 before the first). */
  step: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  /** Fraction of the run's training samples already seen, 0–1. */
  progress: number;
}

/** A live lr change: at `scheduledLr` (the config's schedule at that point) the user asked for `lr`. */
export interface LrAnchor {
  lr: number;
  scheduledLr: number;
}

type ScheduleConfig = Pick<RunConfig, 'lr' | 'schedule' | 'warmupSteps'>;

/**
 * The lr the run's own schedule gives before any live change: the base lr, decayed by the
 * schedule (step: × gamma every `everyEpochs` epochs; cosine: half a cosine from lr to minLr
 * over the run's training samples, so a batch-size change mid-run keeps the same curve), times
 * a linear warm-up factor (step + 1) / warmupSteps during the first `warmupSteps` steps.
 */
export function configuredLr(config: ScheduleConfig, at: SchedulePoint): number {
  const s = config.schedule;
  let lr = config.lr;
  if (s?.kind === 'step') lr = config.lr * s.gamma ** Math.floor((at.epoch - 1) / s.everyEpochs);
  else if (s?.kind === 'cosine') lr = s.minLr + (config.lr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, at.progress)));
  const warmup = config.warmupSteps ?? 0;
  return at.step < warmup ? (lr * (at.step + 1)) / warmup : lr;
}

/**
 * The lr for the next step. A live change rescales the whole schedule (base lr and cosine's
 * minLr alike) by typed ÷ scheduled at the step it applies: that step trains at exactly the
 * typed lr, and warm-up and decay carry on from it in the same shape.
 */
export function scheduledLr(config: ScheduleConfig, at: SchedulePoint, anchor?: LrAnchor): number {
  const lr = configuredLr(config, at);
  return anchor ? (lr / anchor.scheduledLr) * anchor.lr : lr;
}

/** Cross-field checks the config's schema cannot make alone. */
export function checkSchedule(config: ScheduleConfig): void {
  if (config.schedule?.kind === 'cosine' && config.schedule.minLr >= config.lr) {
    throw new InputError('schedule.minLr', `schedule.minLr: must be ≥ 0 and below lr (${config.lr}) (got ${config.schedule.minLr})`);
  }
}
