import type { TimedWindow } from './training-windows.js';

/**
 * Cuts one timed window out of a stream of step events after a resume. The first step seen only
 * marks the start: its time covers waking up from the pause (and, for the app, the resume
 * command's trip), which a run that never paused does not pay. The window ends at the first step
 * at least `windowSamples` later. Both sides of a comparison cut their windows with this, each from
 * its own clock, so they are timed alike.
 */
export class StepWindow {
  private start: { samplesSeen: number; time: number } | null = null;

  constructor(private readonly windowSamples: number) {
    if (!(windowSamples > 0)) throw new Error(`windowSamples must be > 0 (got ${windowSamples})`);
  }

  /** Feeds one step (`time` in ms); returns the window once it is complete, null before. */
  observe(samplesSeen: number, time: number): TimedWindow | null {
    if (!this.start) {
      this.start = { samplesSeen, time };
      return null;
    }
    const samples = samplesSeen - this.start.samplesSeen;
    if (samples < this.windowSamples) return null;
    return { samples, seconds: (time - this.start.time) / 1000 };
  }
}
