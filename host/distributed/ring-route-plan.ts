import type { RingTransport } from '../../shared/distributed.js';
import type { RingLinkRoute } from '../../shared/ring-route.js';

/** How the app reaches a peer's machine: it is this one, a node over SSH (whose connection can carry relays), or a node's agent only. */
export type PeerReach = 'local' | 'ssh' | 'agent';

/** Rank `rank` (the run's peer `peer`) connects to the data port of the rank before it (peer `toPeer`). */
export interface RingLink {
  rank: number;
  peer: number;
  toPeer: number;
}

export const linkKey = (link: Pick<RingLink, 'peer' | 'toPeer'>) => `${link.peer}>${link.toPeer}`;

/** The links of a ring whose members are the run's peers `members`, in rank order. */
export function ringLinks(members: readonly number[]): RingLink[] {
  const n = members.length;
  if (n < 2) return [];
  return members.map((peer, rank) => ({ rank, peer, toPeer: members[(rank - 1 + n) % n]! }));
}

/** Whether the app can carry a link: both ends are this machine or SSH nodes, and not both this machine (that link is always direct). */
export function canRelay(link: RingLink, reach: (peer: number) => PeerReach): boolean {
  const from = reach(link.peer);
  const to = reach(link.toPeer);
  return from !== 'agent' && to !== 'agent' && !(from === 'local' && to === 'local');
}

/** The links `auto` must know about before the ring forms: those it could relay. */
export function linksToProbe(links: readonly RingLink[], transport: RingTransport, reach: (peer: number) => PeerReach): RingLink[] {
  return transport === 'auto' ? links.filter((l) => canRelay(l, reach)) : [];
}

/**
 * How each link travels: `ssh` relays every link it can (the schema allows only SSH peers then);
 * `auto` relays those whose probe failed; `direct`, and a link no relay can carry, connect directly.
 */
export function planRoutes(
  links: readonly RingLink[],
  transport: RingTransport,
  reach: (peer: number) => PeerReach,
  unreachable: ReadonlySet<string>,
): RingLinkRoute[] {
  return links.map((link) => {
    const relay = canRelay(link, reach) && (transport === 'ssh' || (transport === 'auto' && unreachable.has(linkKey(link))));
    return { ...link, via: relay ? 'ssh-relay' : 'direct' };
  });
}
