import { median } from './bench-report.js';
import type { TimedWindow } from './training-windows.js';

/** A window and the median time between its steps: less swayed than the mean by one slow step (a GC pause, a stray process). */
export interface StepTimedWindow extends TimedWindow {
  medianStepMs: number;
  /** The window holds an epoch's end, so a validation pass: not training time on one side only. */
  crossesEpochEnd: boolean;
}

/**
 * Cuts one timed window out of a stream of step events after a resume. The first step seen only
 * marks the start: its time covers waking up from the pause (and, for the app, the resume
 * command's trip), which a run that never paused does not pay. The window ends at the first step
 * at least `windowSamples` later. Both sides of a comparison cut their windows with this, each from
 * its own clock, so they are timed alike.
 */
export class StepWindow {
  private start: { samplesSeen: number; time: number; epoch: number } | null = null;
  private last = 0;
  private readonly stepMs: number[] = [];

  constructor(private readonly windowSamples: number) {
    if (!(windowSamples > 0)) throw new Error(`windowSamples must be > 0 (got ${windowSamples})`);
  }

  /** Feeds one step (`time` in ms); returns the window once it is complete, null before. */
  observe(samplesSeen: number, time: number, epoch = 1): StepTimedWindow | null {
    if (!this.start) {
      this.start = { samplesSeen, time, epoch };
      this.last = time;
      return null;
    }
    this.stepMs.push(time - this.last);
    this.last = time;
    const samples = samplesSeen - this.start.samplesSeen;
    if (samples < this.windowSamples) return null;
    return { samples, seconds: (time - this.start.time) / 1000, medianStepMs: median(this.stepMs), crossesEpochEnd: epoch !== this.start.epoch };
  }
}
