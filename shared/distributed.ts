import { z } from 'zod';

/** The most peers one run may span. */
export const MAX_PEERS = 16;

/**
 * Where a peer's trainer runs. `local`: a trainer process on this machine (one per GPU on a
 * multi-GPU workstation, or to try a distributed run on one machine).
 */
export const PeerAddress = z.literal('local', { error: 'a peer is `local` (a trainer process on this machine)' });
export type PeerAddress = z.infer<typeof PeerAddress>;

/** A run trained by several peers: each trains on its shard of every batch, and their gradients are averaged. */
export const Distribution = z.object({
  parallel: z.literal('data', { error: 'must be `data`' }),
  peers: z
    .array(PeerAddress)
    .min(2, { error: `give 2–${MAX_PEERS} peers (one peer is a plain run)` })
    .max(MAX_PEERS, { error: `give 2–${MAX_PEERS} peers` }),
});
export type Distribution = z.infer<typeof Distribution>;

/** This trainer's place among a run's peers, handed to it by the coordinating host with the start command. */
export const PeerRole = z.object({
  rank: z.number().int().min(0).max(MAX_PEERS - 1),
  worldSize: z.number().int().min(2).max(MAX_PEERS),
  /** The run's secret, base64: a peer's data port admits only connections that prove they hold it. */
  secret: z.string().min(40).max(100),
  /** The interface the data port listens on. */
  bindHost: z.string().min(1).max(255),
});
export type PeerRole = z.infer<typeof PeerRole>;

export const RingEndpoint = z.object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65_535) });
export type RingEndpoint = z.infer<typeof RingEndpoint>;

/**
 * This peer's part of a global batch of `total` samples: contiguous, as even as integers allow,
 * lower ranks taking the one extra. Every peer computes the same split.
 */
export function shardOf(total: number, rank: number, worldSize: number): { start: number; size: number } {
  const base = Math.floor(total / worldSize);
  const extra = total % worldSize;
  return { start: rank * base + Math.min(rank, extra), size: base + (rank < extra ? 1 : 0) };
}
