import type { PeerRole } from '../../shared/distributed.js';
import type { PeerGroup } from './peer-group.js';
import { PeerLostError } from './peer-lost-error.js';
import type { RingCommands } from './ring-commands.js';
import { RingReformed } from './ring-reformed.js';
import { RingThread } from './ring-thread.js';

/** How long forming the ring, or one exchange, may wait for a silent peer before it counts as lost. */
export const PEER_TIMEOUT_MS = 4_000;

/** The longest a peer other than the leader waits, at the end of a run, for the leader to close first. */
const FOLLOWER_LINGER_MS = 30_000;

export interface ElasticHooks {
  /** The ring broke: tell the host, which answers with the next `ring`. */
  broken(error: PeerLostError, generation: number): void;
  /** This peer left its ring at the leader's word: tell the host, which answers with the next `ring`. */
  awaiting(generation: number): void;
  /** Every peer holds the same state on the new ring: this peer's parameters' checksum. */
  synced(generation: number): void;
}

/**
 * Joins a data-parallel run: opens this peer's data port on the run's interface, in the ring's
 * worker thread (ring-thread.ts), and says which port (`announce`); `level()` then forms the ring from the host's first `ring`. When a peer is
 * lost mid-exchange (or one joins) the group re-forms from the host's next `ring` (new generation,
 * perhaps a new rank), lets `afterReform` bring every peer to the same state, and throws
 * RingReformed.
 */
export async function joinPeers(role: PeerRole, runId: string, announce: (port: number) => void, rings: RingCommands, hooks: ElasticHooks): Promise<ElasticPeers> {
  const thread = await RingThread.open({ bindHost: role.bindHost, secret: Buffer.from(role.secret, 'base64'), runId });
  announce(thread.port);
  return new ElasticPeers(role.rank, thread, rings, hooks);
}

export class ElasticPeers implements PeerGroup {
  worldSize = 0;
  private generation = -1;
  /** The generation of the ring formed last: calls made while a new one forms still go to (and fail on) the old. */
  private formedGeneration = -1;
  /** The re-forming after a loss on one generation's ring: every call that ring failed waits for the same one. */
  private recovery: { generation: number; done: Promise<void> } | null = null;
  /** Run after every re-formed ring, over it, before the interrupted work starts over. */
  afterReform: (group: PeerGroup) => Promise<void> = async () => {};

  constructor(
    public rank: number,
    private readonly thread: RingThread,
    private readonly rings: RingCommands,
    private readonly hooks: ElasticHooks,
  ) {}

  async allReduceSum(data: Float32Array, waitIndefinitely = false): Promise<void> {
    const generation = this.formedGeneration;
    try {
      await this.thread.allReduceSum(data, waitIndefinitely ? { timeoutMs: Infinity } : {});
    } catch (error) {
      if (!(error instanceof PeerLostError)) throw error;
      if (this.recovery?.generation !== generation) this.recovery = { generation, done: this.reform(error) };
      await this.recovery.done;
      throw new RingReformed(`the ring was formed again without rank ${error.rank}`);
    }
  }

  /** Forms the ring the host's next `ring` describes. */
  async form(): Promise<void> {
    const command = await this.rings.next();
    this.generation = command.generation;
    this.rank = command.rank ?? this.rank;
    this.worldSize = command.endpoints.length;
    await this.thread.form({ rank: this.rank, endpoints: command.endpoints, timeoutMs: PEER_TIMEOUT_MS, generation: command.generation });
    this.formedGeneration = command.generation;
  }

  /**
   * Leaves the group when the run is over. The leader goes first; the others wait until their
   * ring ends (the leader's close reaches them round the ring) or a while has passed, so a peer
   * finishing early never cuts a link another still reads its last frames from.
   */
  async close(): Promise<void> {
    if (this.rank !== 0) await Promise.race([this.thread.ended, new Promise((resolve) => setTimeout(resolve, FOLLOWER_LINGER_MS).unref())]);
    await this.thread.close();
  }

  async regroup(): Promise<void> {
    this.hooks.awaiting(this.generation);
    await this.reform(null);
  }

  /** Forms the host's next ring (after a loss, or to take in a joiner) and brings every peer level on it. */
  private async reform(lost: PeerLostError | null): Promise<void> {
    for (let error: unknown = lost; ; ) {
      if (error instanceof PeerLostError) this.hooks.broken(error, this.generation);
      else if (error !== null) throw error;
      void this.thread.closeRing();
      try {
        await this.level();
        return;
      } catch (next) {
        error = next;
      }
    }
  }

  /** Forms the host's next ring and runs `afterReform` over it, the raw ring: a loss there re-forms again. */
  async level(): Promise<void> {
    await this.form();
    await this.afterReform({ rank: this.rank, worldSize: this.worldSize, allReduceSum: (d) => this.thread.allReduceSum(d), close: async () => {} });
    this.hooks.synced(this.generation);
  }
}
