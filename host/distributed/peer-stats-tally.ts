import type { TrainerEventOf } from '../../shared/trainer-protocol.js';

type PeerStats = TrainerEventOf<'peer-stats'>;

interface Window {
  from: number;
  samples: number;
  computeMs: number;
  commMs: number;
  steps: number;
}

/**
 * Folds each peer's steps into one `peer-stats` record per peer per `everyMs` of its own step
 * times: its samples per second, and its mean compute and communication time per step. A log
 * grows by a few records a second however fast the steps come.
 */
export class PeerStatsTally {
  private readonly windows: (Window | null)[];

  constructor(
    worldSize: number,
    private readonly everyMs = 1000,
  ) {
    this.windows = new Array<Window | null>(worldSize).fill(null);
  }

  /** Returns the peer's stats when this step closes its window. */
  add(rank: number, step: TrainerEventOf<'step'>): PeerStats | null {
    if (!step.exchange) return null;
    const w = (this.windows[rank] ??= { from: step.time - (step.exchange.computeMs + step.exchange.commMs), samples: 0, computeMs: 0, commMs: 0, steps: 0 });
    w.samples += step.exchange.samples;
    w.computeMs += step.exchange.computeMs;
    w.commMs += step.exchange.commMs;
    w.steps++;
    const span = step.time - w.from;
    if (span < this.everyMs) return null;
    this.windows[rank] = null;
    return {
      type: 'peer-stats',
      time: step.time,
      step: step.step,
      rank,
      samplesPerSec: (w.samples / span) * 1000,
      computeMs: w.computeMs / w.steps,
      commMs: w.commMs / w.steps,
    };
  }
}
