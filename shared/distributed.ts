import { z } from 'zod';
import { integerIn } from './integer-range.js';
import { parseSshTarget, type SshTarget } from './ssh-target.js';

/** The most peers one run may span. */
export const MAX_PEERS = 16;

const PEER_FORMS = 'a peer is `local` (a trainer process on this machine), ws://HOST:PORT (an `hpc-studio agent`) or ssh://USER@HOST[:PORT] (a node reached over SSH)';

/**
 * Where a peer's trainer runs. `local`: a trainer process on this machine (one per GPU on a
 * multi-GPU workstation, or to try a distributed run on one machine); `ws://HOST:PORT`: on the
 * node whose agent listens there; `ssh://USER@HOST[:PORT]`: on a node reached over SSH, where the
 * app starts its agent.
 */
export const PeerAddress = z.union(
  [
    z.literal('local'),
    z.string().regex(/^ws:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/, { error: PEER_FORMS }),
    z.string().refine((text) => sshPeer(text) !== null, { error: PEER_FORMS }),
  ],
  { error: PEER_FORMS },
);
export type PeerAddress = z.infer<typeof PeerAddress>;

function sshPeer(text: string): SshTarget | null {
  try {
    return text.startsWith('ssh://') ? parseSshTarget(text) : null;
  } catch {
    return null;
  }
}

/** The host of a `ws://` or `ssh://` peer, where its trainer's data port is reached; null for `local`. */
export function peerHost(address: PeerAddress): string | null {
  const ssh = sshPeer(address);
  if (ssh) return ssh.host;
  const match = /^ws:\/\/(?:\[([^\]]+)\]|([^:/]+)):\d+$/.exec(address);
  return match ? (match[1] ?? match[2]!) : null;
}

/**
 * How the ring's links travel: `direct` (TCP between the trainers' data ports), `ssh` (every link
 * through SSH-forwarded streams relayed by this app: slower, but needs nothing beyond SSH), or
 * `auto` (direct where the peer can connect, relayed over SSH where it cannot).
 */
export const RING_TRANSPORTS = ['direct', 'ssh', 'auto'] as const;
export const RingTransport = z.enum(RING_TRANSPORTS, { error: 'must be direct, ssh or auto' });
export type RingTransport = z.infer<typeof RingTransport>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** How many micro-batches a pipeline splits each batch into, unless the run says; and the most it may. */
export const DEFAULT_MICRO_BATCHES = 4;
export const MAX_MICRO_BATCHES = 64;

export const PEER_DATASET_SOURCES = ['node', 'upload'] as const;

/**
 * A run trained by several peers. `data`: each trains on its shard of every batch, and their
 * gradients are averaged. `model`: each holds a contiguous run of the model's layers (a pipeline
 * stage, in the peers' order) and every batch flows through them in micro-batches.
 */
export const Distribution = z.object({
  parallel: z.enum(['data', 'model'], { error: 'must be `data` or `model`' }),
  peers: z
    .array(PeerAddress)
    .min(2, { error: `give 2–${MAX_PEERS} peers (one peer is a plain run)` })
    .max(MAX_PEERS, { error: `give 2–${MAX_PEERS} peers` })
    .refine((peers) => peers[0] === 'local', { error: 'the first peer leads the run and keeps its checkpoints: make it `local`' }),
  /**
   * The address this machine's trainers open their data ports on, which the other peers connect
   * to; loopback (the default) serves only peers on this machine.
   */
  interface: z.string().min(1).max(255).optional(),
  /**
   * When peers leave or join: `keep` the global batch (each peer's share changes), or `rescale` it
   * with the number of peers (each peer's share stays).
   */
  batchOnChange: z.enum(['keep', 'rescale'], { error: 'must be keep or rescale' }).optional(),
  /** Fewer peers left than this after losses, and the run pauses (saying why) until peers are added; default 1. */
  minPeers: integerIn(1, MAX_PEERS).optional(),
  /** How many micro-batches a model-parallel step splits the batch into: more keep the stages busier. */
  microBatches: integerIn(1, MAX_MICRO_BATCHES).optional(),
  /**
   * Where other nodes' trainers read the dataset: `node` (the default), at the config's path there or
   * the agent's --dataset-dir; `upload`, sent by this app to each node that lacks it, checked by hash.
   */
  dataset: z.enum(PEER_DATASET_SOURCES, { error: 'must be node or upload' }).optional(),
  /** How the ring's links travel between the peers; default `auto`. */
  ringTransport: RingTransport.optional(),
}).superRefine((d, ctx) => {
  for (const field of d.parallel === 'model' ? (['minPeers', 'batchOnChange'] as const) : (['microBatches'] as const)) {
    if (d[field] !== undefined) {
      const only = d.parallel === 'model' ? 'data' : 'model';
      ctx.addIssue({ code: 'custom', path: [field], message: `applies only to parallel ${only}` + (only === 'data' ? ': a pipeline cannot go on without one of its stages' : '') });
    }
  }
  const transport = d.ringTransport ?? 'auto';
  const notSsh = d.peers.findIndex((p) => p !== 'local' && sshPeer(p) === null);
  if (transport === 'ssh' && notSsh >= 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['ringTransport'],
      message: `ssh carries the ring over the peers' SSH connections: every peer but \`local\` must be ssh://USER@HOST[:PORT] (peer ${notSsh} is ${d.peers[notSsh]})`,
    });
  }
  // Links into this machine from an SSH peer can be relayed (ssh, auto); an agent's (ws://) only connect directly.
  const relayable = (p: PeerAddress) => transport !== 'direct' && sshPeer(p) !== null;
  const remote = d.peers
    .filter((p) => !relayable(p))
    .map((p) => peerHost(p))
    .filter((h): h is string => h !== null && !isLoopback(h));
  if (d.minPeers !== undefined && d.minPeers > d.peers.length) {
    ctx.addIssue({ code: 'custom', path: ['minPeers'], message: `must be at most the number of peers (${d.peers.length})` });
  }
  if (remote.length > 0 && (!d.interface || isLoopback(d.interface) || d.interface === '0.0.0.0' || d.interface === '::')) {
    ctx.addIssue({
      code: 'custom',
      path: ['interface'],
      message: `peers on other machines (${remote[0]}) connect to this one: give the address of this machine they can reach`,
    });
  }
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


/**
 * This peer's part of a global batch of `total` samples: contiguous, as even as integers allow,
 * lower ranks taking the one extra. Every peer computes the same split.
 */
export function shardOf(total: number, rank: number, worldSize: number): { start: number; size: number } {
  const base = Math.floor(total / worldSize);
  const extra = total % worldSize;
  return { start: rank * base + Math.min(rank, extra), size: base + (rank < extra ? 1 : 0) };
}
