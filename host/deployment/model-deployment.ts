import { performance } from 'node:perf_hooks';
import type { PeerServingStats, PredictResult, RowBatch } from '../../shared/deployment.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { encodeRowBatch } from './row-batch-encoder.js';

/** Somewhere a deployed model answers: a peer's agent, or a predictor child on this machine. */
export interface ServingPeer {
  /** `ws://HOST:PORT`, `ssh://…` or `local`, as reports and warnings name it. */
  readonly name: string;
  predict(batch: RowBatch): Promise<PredictResult>;
  /** Undeploys where it can and lets go of the connection. */
  close(): void;
}

/** A batch's answer and the peer that gave it. */
export type ServedPredictions = PredictResult & { peer: string };

/** How long a peer may take to answer one request before it is taken for dead. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

interface PeerState {
  peer: ServingPeer;
  dead: string | null;
  outstanding: number;
  requests: number;
  rows: number;
  errors: number;
  latencies: number[];
  firstSent: number | null;
  lastAnswered: number | null;
}

class PeerTimeout extends Error {}

/**
 * One model served by several peers: each request goes to the live peer with the fewest requests
 * outstanding (ties in turn). A peer whose connection fails, whose predictor dies or that does not
 * answer in time is marked dead and skipped from then on, and its request is sent to another; a
 * request the model refuses (rows of the wrong shape) is the caller's, and is not retried.
 */
export class ModelDeployment {
  private readonly peers: PeerState[];
  private turn = 0;

  constructor(
    peers: readonly ServingPeer[],
    private readonly options: { timeoutMs?: number; onPeerDead?: (peer: string, reason: string) => void; now?: () => number } = {},
  ) {
    if (peers.length === 0) throw new Error('a deployment needs at least one peer');
    this.peers = peers.map((peer) => ({ peer, dead: null, outstanding: 0, requests: 0, rows: 0, errors: 0, latencies: [], firstSent: null, lastAnswered: null }));
  }

  get livePeers(): string[] {
    return this.peers.filter((p) => !p.dead).map((p) => p.peer.name);
  }

  async predict(batch: RowBatch): Promise<ServedPredictions> {
    for (;;) {
      const state = this.pick();
      if (!state) {
        const why = this.peers.map((p) => `${p.peer.name}: ${p.dead}`).join('; ');
        throw new ApiError({ code: 'internal', message: `no peer is left to serve the model (${why})` });
      }
      const now = this.options.now ?? (() => performance.now());
      const sent = now();
      state.firstSent ??= sent;
      state.outstanding++;
      try {
        const result = await this.withTimeout(state.peer.predict(batch));
        const answered = now();
        state.requests++;
        state.rows += batch.rows;
        state.latencies.push(answered - sent);
        state.lastAnswered = answered;
        return { ...result, peer: state.peer.name };
      } catch (error) {
        state.errors++;
        if (error instanceof ApiError && error.error.code === 'invalid') throw error;
        this.markDead(state, error instanceof Error ? error.message : String(error));
      } finally {
        state.outstanding--;
      }
    }
  }

  /** Per peer: requests answered, throughput over the time it was serving, round-trip p50/p99. */
  stats(): PeerServingStats[] {
    return this.peers.map((p) => {
      const seconds = p.firstSent !== null && p.lastAnswered !== null ? (p.lastAnswered - p.firstSent) / 1000 : 0;
      const sorted = [...p.latencies].sort((a, b) => a - b);
      return {
        peer: p.peer.name,
        state: p.dead ? 'dead' : 'serving',
        ...(p.dead ? { reason: p.dead } : {}),
        requests: p.requests,
        rows: p.rows,
        errors: p.errors,
        requestsPerSec: seconds > 0 ? p.requests / seconds : 0,
        rowsPerSec: seconds > 0 ? p.rows / seconds : 0,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
      };
    });
  }

  close(): void {
    for (const p of this.peers) p.peer.close();
  }

  private pick(): PeerState | undefined {
    const live = this.peers.filter((p) => !p.dead);
    if (live.length === 0) return undefined;
    const fewest = Math.min(...live.map((p) => p.outstanding));
    const candidates = live.filter((p) => p.outstanding === fewest);
    return candidates[this.turn++ % candidates.length];
  }

  private markDead(state: PeerState, reason: string): void {
    if (state.dead) return;
    state.dead = reason;
    state.peer.close();
    this.options.onPeerDead?.(state.peer.name, reason);
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PeerTimeout(`no answer within ${ms / 1000} s`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** A peer that never took the model (unreachable, refused), as reports show it beside the ones serving. */
export function neverServed(peer: string, reason: string): PeerServingStats {
  return { peer, state: 'dead', reason, requests: 0, rows: 0, errors: 0, requestsPerSec: 0, rowsPerSec: 0, p50Ms: null, p99Ms: null };
}

/** Requests in flight per serving peer: one being computed while the next crosses the wire. */
const IN_FLIGHT_PER_PEER = 2;

/** Every batch answered, in order, with IN_FLIGHT_PER_PEER requests in flight per live peer, each next one sent as soon as one is answered. */
export async function predictInBatches(deployment: ModelDeployment, rows: number[][], batch: number, progress: (rowsDone: number) => void): Promise<ServedPredictions[]> {
  const answers = new Array<ServedPredictions>(Math.ceil(rows.length / batch));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < answers.length) {
      const b = next++;
      answers[b] = await deployment.predict(encodeRowBatch(rows.slice(b * batch, (b + 1) * batch)));
      done += answers[b].outputs.length;
      progress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deployment.livePeers.length * IN_FLIGHT_PER_PEER) }, worker));
  return answers;
}

/** Nearest-rank percentile of ascending values; null when there are none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
