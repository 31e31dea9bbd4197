import type { HyperparamChange } from '../shared/trainer-protocol.js';

/**
 * Commands that arrive while training, applied between steps: the loop asks `next()` before
 * each step and gets what to do, waiting here while paused.
 */
export class TrainingControl {
  private paused = false;
  private stopping = false;
  private pending: HyperparamChange | null = null;
  private regroupAsked = false;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  change(change: HyperparamChange): void {
    this.pending = { ...this.pending, ...change };
  }

  get stopRequested(): boolean {
    return this.stopping;
  }

  get pauseRequested(): boolean {
    return this.paused && !this.stopping;
  }

  /** Resolves when resumed or stopped. */
  waitWhilePaused(): Promise<void> {
    if (!this.pauseRequested) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }

  /** A peer waits to join this data-parallel run (the leader passes it on at the next epoch boundary). */
  regroup(): void {
    this.regroupAsked = true;
  }

  takeRegroup(): boolean {
    const asked = this.regroupAsked;
    this.regroupAsked = false;
    return asked;
  }

  takeChange(): HyperparamChange | null {
    const change = this.pending;
    this.pending = null;
    return change;
  }
}
