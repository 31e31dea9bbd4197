import { z } from 'zod';
import { MAX_PEERS } from './distributed.js';
import { integerIn } from './integer-range.js';
import { RingEndpoint } from './ring-membership.js';

/** How one rank reaches the rank it receives from (rank − 1): straight to its data port, or through an SSH relay in the app. */
export const RING_LINK_VIAS = ['direct', 'ssh-relay'] as const;

export const RingLinkRoute = z.object({
  /** The rank that connects, and its number among the run's peers. */
  rank: z.number().int().min(0).max(MAX_PEERS - 1),
  peer: z.number().int().min(0),
  /** The peer (number among the run's peers) it connects to. */
  toPeer: z.number().int().min(0),
  via: z.enum(RING_LINK_VIAS),
});
export type RingLinkRoute = z.infer<typeof RingLinkRoute>;

/** The words the CLI and the run page show when links of a run's ring are relayed. */
export const RELAYED_RING_NOTE = 'ring over SSH (relayed via this machine, slower)';

/** `peer 1 → peer 0, peer 2 → peer 1`: the relayed links of a ring, for a log line or a tooltip. */
export function describeRelayedLinks(links: readonly RingLinkRoute[]): string {
  return links
    .filter((l) => l.via === 'ssh-relay')
    .map((l) => `peer ${l.peer} → peer ${l.toPeer}`)
    .join(', ');
}

/** Limits of a reachability probe (`probeTcp`). */
export const PROBE_TIMEOUT_MS = { min: 50, max: 10_000 } as const;

/** Whether one peer's machine can open a TCP connection to another's data port: asked before a ring forms, with `ringTransport: auto`. */
export const ProbeTcpParams = z.object({
  endpoint: RingEndpoint,
  timeoutMs: integerIn(PROBE_TIMEOUT_MS.min, PROBE_TIMEOUT_MS.max),
});
export const TcpReach = z.object({ reachable: z.boolean(), reason: z.string().max(500).optional() });
export type TcpReach = z.infer<typeof TcpReach>;
