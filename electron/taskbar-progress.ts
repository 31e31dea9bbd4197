import type { RunRecord } from '../shared/run-record.js';

export type ProgressBarMode = 'none' | 'normal' | 'indeterminate' | 'error' | 'paused';

/** The slice of BrowserWindow the taskbar (Windows, Linux Unity) and dock (macOS) progress bar uses. */
export interface ProgressBarTarget {
  setProgressBar(progress: number, options?: { mode: ProgressBarMode }): void;
  isDestroyed(): boolean;
}

/** Progress changes smaller than this are not worth a call into the window system. */
const RESOLUTION = 1000;

/**
 * The training run's progress on the app's taskbar or dock icon, fed the run's records as they
 * are written: the fraction of its steps done, paused and failed shown in the platform's way,
 * cleared when the run ends.
 */
export class TaskbarProgress {
  private totalSteps = 0;
  private fraction = 0;
  private shown = '';

  constructor(private readonly target: ProgressBarTarget) {}

  onRecord(record: RunRecord): void {
    switch (record.type) {
      case 'progress':
        return this.show(-1, 'indeterminate');
      case 'started':
        this.totalSteps = record.totalSteps;
        return this.show(this.fraction, 'normal');
      case 'step':
        if (record.step > this.totalSteps) this.totalSteps = record.step;
        this.fraction = this.totalSteps > 0 ? Math.min(1, record.step / this.totalSteps) : 0;
        return this.show(this.fraction, 'normal');
      case 'paused':
        return this.show(this.fraction, 'paused');
      case 'resumed':
        return this.show(this.fraction, 'normal');
      case 'status':
        if (record.status === 'running') return this.show(this.fraction, 'normal');
        if (record.status === 'paused') return this.show(this.fraction, 'paused');
        if (record.status === 'failed') return this.show(Math.max(this.fraction, 0.01), 'error');
        return this.reset();
      default:
        return;
    }
  }

  /** A failed run's mark stays until the user looks at the app (or the next run starts). */
  clearFailure(): void {
    if (this.shown.startsWith('error:')) this.reset();
  }

  private reset(): void {
    this.fraction = 0;
    this.totalSteps = 0;
    this.show(-1, 'none');
  }

  private show(fraction: number, mode: ProgressBarMode): void {
    const shown = fraction < 0 ? (mode === 'indeterminate' ? 2 : -1) : Math.round(fraction * RESOLUTION) / RESOLUTION;
    const key = `${mode}:${shown}`;
    if (key === this.shown || this.target.isDestroyed()) return;
    this.shown = key;
    this.target.setProgressBar(shown, { mode });
  }
}
