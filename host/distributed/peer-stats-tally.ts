import type { TrainerEventOf } from '../../shared/trainer-protocol.js';

type PeerStats = TrainerEventOf<'peer-stats'>;

interface Window {
  from: number;
  /** The last step folded in, and when it ended. */
  step: number;
  to: number;
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
  /** By peer: peers join and leave while a run trains. */
  private readonly windows = new Map<number, Window>();

  constructor(private readonly everyMs = 1000) {}

  /** Returns the peer's stats when this step closes its window. */
  add(rank: number, step: TrainerEventOf<'step'>): PeerStats | null {
    if (!step.exchange) return null;
    let w = this.windows.get(rank);
    if (!w) this.windows.set(rank, (w = { from: step.time - (step.exchange.computeMs + step.exchange.commMs), step: 0, to: 0, samples: 0, computeMs: 0, commMs: 0, steps: 0 }));
    w.samples += step.exchange.samples;
    w.computeMs += step.exchange.computeMs;
    w.commMs += step.exchange.commMs;
    w.steps++;
    w.step = step.step;
    w.to = step.time;
    if (w.to - w.from < this.everyMs) return null;
    this.windows.delete(rank);
    return stats(rank, w);
  }

  /** Every peer's unfinished window, when the run ends: a short run still shows each peer. */
  flush(): PeerStats[] {
    const out = [...this.windows].map(([rank, w]) => stats(rank, w));
    this.windows.clear();
    return out;
  }
}

function stats(rank: number, w: Window): PeerStats {
  return {
    type: 'peer-stats',
    time: w.to,
    step: w.step,
    rank,
    samplesPerSec: (w.samples / Math.max(1, w.to - w.from)) * 1000,
    computeMs: w.computeMs / w.steps,
    commMs: w.commMs / w.steps,
  };
}
