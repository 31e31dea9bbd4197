import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isLoopback, peerHost, type PeerAddress, type RingTransport } from '../../shared/distributed.js';
import type { RingEndpoint } from '../../shared/ring-membership.js';
import { describeRelayedLinks, RELAYED_RING_NOTE, type RingLinkRoute, type TcpReach } from '../../shared/ring-route.js';
import { describeBackend, eventsOf, TrainerCommand, TrainerMessage, type TrainerEvent } from '../../shared/trainer-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import type { SendDataset } from '../datasets/dataset-sender.js';
import type { NodeTunnel } from '../ssh/node-tunnel.js';
import type { SpawnTrainer, TrainerProcess } from '../trainer-process.js';
import { agentPeerTrainer } from './agent-peer-trainer.js';
import { PeerStatsTally } from './peer-stats-tally.js';
import { linkKey, linksToProbe, planRoutes, ringLinks, type PeerReach, type RingLink } from './ring-route-plan.js';
import { SshRingRelay, type RelayEnd } from './ssh-ring-relay.js';
import { probeTcp } from './tcp-reach-probe.js';

/** What peers tell the group, not the run's log. */
const GROUP_ONLY = new Set<string>(['data-port', 'ring-broken', 'awaiting-ring', 'synced']);

/** How long after the first report of a lost peer the ring is formed again: long enough for every survivor's report. */
const REPORTS_SETTLE_MS = 250;

/** Where this machine's trainers listen when the run names no interface: loopback, for peers on this machine. */
const LOOPBACK = '127.0.0.1';

/** How long `auto` waits for a peer to connect to another's data port before relaying that link. */
const PROBE_TIMEOUT_MS = 1_500;

/** A peer's agent, and for one reached over SSH the connection's tunnel, which can carry the ring's links. */
export type PeerConnection = AgentConnection & { tunnel?: NodeTunnel };

/** Opens the API of a `ws://` peer's agent (with its token, which never enters a run's config) or an `ssh://` peer's (over SSH). */
export type PeerConnector = (url: string) => Promise<PeerConnection>;

/**
 * Wraps a SpawnTrainer so that a run whose config names peers trains data-parallel over them,
 * `local` ones as trainer processes here and `ws://`/`ssh://` ones through their nodes' agents,
 * while the supervisor, the run log and the UI see one trainer: rank 0's events are the run's (its
 * loss is already the global batch's), and the other peers add only their per-second throughput
 * and communication/compute split (`peer-stats`). Peers lost while training are dropped and the
 * ring formed again; peers added join at an epoch boundary; one that fails before training, or a
 * lost leader, ends the run, naming it.
 */
export function withPeers(spawn: SpawnTrainer, connect?: PeerConnector, cores = availableParallelism(), sendDataset?: SendDataset): SpawnTrainer {
  return (env) => new PeerGroupProcess(spawn, connect, env, cores, sendDataset);
}

class PeerGroupProcess implements TrainerProcess {
  private readonly leader: TrainerProcess;
  private readonly followers: TrainerProcess[] = [];
  private readonly messageListeners: ((message: unknown) => void)[] = [];
  private readonly lineListeners: ((line: string) => void)[] = [];
  private ports: (number | undefined)[] = [];
  private readonly fingerprints: (string | undefined)[] = [];
  private hosts: string[] = [];
  private addresses: PeerAddress[] = [];
  private stats: PeerStatsTally | null = null;
  private started = false;
  /** The leader has said `done` or `stopped`. */
  private finished = false;
  private exited = false;
  /** The peers (by their place in the run's list) in the current ring's rank order, and its generation. */
  private members: number[] = [];
  private generation = 0;
  private readonly lost = new Set<number>();
  private reformTimer: NodeJS.Timeout | null = null;
  private minPeers = 1;
  private rescaleBatch = false;
  /** A model-parallel run: every peer holds a stage of the model, so none can be dropped or added. */
  private pipeline = false;
  /** The leader's batch size at its last step: the global batch. */
  private lastBatchSize = 0;
  /** The run was paused because fewer peers were left than its minimum. */
  private pausedForPeers = false;
  private lastStep = 0;
  /** What a peer added mid-run is started with: the run's start command, secret and local interface. */
  private joinWith: { start: Extract<TrainerCommand, { type: 'start' }>; secret: string; local: string } | null = null;
  /** Peers added mid-run, by their place among the run's peers: waiting for their data port, then for the next ring. */
  private readonly joining = new Map<number, 'opening' | 'ready'>();
  private readonly awaiting = new Set<number>();
  /** The current ring's checksums by peer, and the peers already checked against the leader's. */
  private readonly checksums = new Map<number, string>();
  private readonly checked = new Set<number>();
  /** Bytes of the dataset sent to each peer's node so far, and to be sent: shown as one transfer. */
  private readonly uploads = new Map<number, { done: number; total: number }>();
  private transport: RingTransport = 'auto';
  /** Each remote peer's agent connection, by its place among the run's peers. */
  private readonly connections: (Promise<PeerConnection> | undefined)[] = [];
  /** What probes found, by link (`ringTransport: auto`): a link is probed once per run. */
  private readonly probed = new Map<string, TcpReach>();
  private readonly relayLinks = new SshRingRelay();
  /** The last ring's routes, once any of its links went over the relay. */
  private relayedRoutes: { generation: number; links: RingLinkRoute[] } | null = null;
  /** Rings are routed (probes, relays) one after another, in generation order. */
  private routing: Promise<void> = Promise.resolve();

  constructor(
    private readonly spawn: SpawnTrainer,
    private readonly connect: PeerConnector | undefined,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cores: number,
    private readonly sendDataset: SendDataset | undefined,
  ) {
    this.leader = spawn(env);
    this.adopt(this.leader, 0);
    this.leader.onExit(() => void this.relayLinks.close());
  }

  get pid(): number | undefined {
    return this.leader.pid;
  }

  send(message: unknown): void {
    const parsed = TrainerCommand.safeParse(message);
    if (parsed.success && parsed.data.type === 'add-peer') return this.addPeer(parsed.data.address);
    const distribution = parsed.success && parsed.data.type === 'start' ? parsed.data.config.distribution : undefined;
    if (!parsed.success || parsed.data.type !== 'start' || !distribution) return this.leader.send(message);
    const worldSize = distribution.peers.length;
    const secret = randomBytes(32).toString('base64');
    const local = distribution.interface ?? LOOPBACK;
    const localPeers = distribution.peers.filter((p) => p === 'local').length;
    this.addresses = distribution.peers;
    this.members = distribution.peers.map((_, i) => i);
    this.minPeers = distribution.minPeers ?? 1;
    this.rescaleBatch = distribution.batchOnChange === 'rescale';
    this.pipeline = distribution.parallel === 'model';
    this.transport = distribution.ringTransport ?? 'auto';
    this.ports = new Array<number | undefined>(worldSize).fill(undefined);
    this.stats = new PeerStatsTally();
    this.hosts = distribution.peers.map((p) => peerHost(p) ?? local);
    this.joinWith = { start: parsed.data, secret, local };
    for (let rank = 1; rank < worldSize; rank++) this.followers.push(this.startPeer(rank, distribution.peers[rank]!, localPeers));
    [this.leader, ...this.followers].forEach((trainer, rank) => trainer.send(this.startFor(rank, rank, worldSize)));
  }

  /** A trainer for the run's peer number `index`, adopted into the group. */
  private startPeer(index: number, address: PeerAddress, localPeers: number): TrainerProcess {
    const trainer =
      address === 'local'
        ? // The peers here share this machine's cores: each gets its part, not one thread per core.
          this.spawn({ ...this.env, HPC_STUDIO_THREADS: this.env.HPC_STUDIO_THREADS ?? String(Math.max(1, Math.floor(this.cores / localPeers))) })
        : agentPeerTrainer((this.connections[index] = this.connect ? this.connect(address) : Promise.reject(new Error(`no token for the agent at ${address} (the CLI takes --token-file FILE)`))), this.sendDataset);
    this.adopt(trainer, index);
    return trainer;
  }

  /** The start command for peer number `index`, taking `rank` in a ring of `worldSize`. */
  private startFor(index: number, rank: number, worldSize: number): TrainerCommand {
    const { start, secret, local } = this.joinWith!;
    const host = this.hosts[index]!;
    // A node's trainer listens on all its interfaces unless its agent is reached over loopback, or
    // only SSH relays reach it.
    const relayedOnly = this.transport === 'ssh' || isLoopback(host);
    const bindHost = this.addresses[index] === 'local' ? local : relayedOnly ? LOOPBACK : '0.0.0.0';
    return { ...start, peer: { rank, worldSize, secret, bindHost } };
  }

  /**
   * A peer added while the run trains: it loads its data and opens its port now, and the leader
   * is told; at the next epoch boundary every peer leaves its ring, the next takes the newcomer
   * in, and it is sent the others' state (its checksum proves it holds the same).
   */
  private addPeer(address: PeerAddress): void {
    if (!this.joinWith || this.exited) return;
    const index = this.addresses.length;
    this.addresses = [...this.addresses, address];
    this.hosts.push(peerHost(address) ?? this.joinWith.local);
    this.ports.push(undefined);
    const localPeers = this.addresses.filter((a) => a === 'local').length;
    this.followers.push(this.startPeer(index, address, localPeers));
    this.joining.set(index, 'opening');
    this.trainers[index]!.send(this.startFor(index, this.members.length, this.members.length + 1));
  }

  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  onOutputLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.leader.onExit((code, signal) => {
      this.exited = true;
      if (this.reformTimer) clearTimeout(this.reformTimer);
      // Rank 0 ends the run (done, stopped or failed): the others have nothing left to do.
      for (const follower of this.followers) follower.kill('SIGKILL');
      listener(code, signal);
    });
  }

  kill(signal?: NodeJS.Signals): void {
    for (const trainer of this.trainers) trainer.kill(signal);
  }

  private get trainers(): TrainerProcess[] {
    return [this.leader, ...this.followers];
  }

  private adopt(trainer: TrainerProcess, rank: number): void {
    trainer.onMessage((message) => this.receive(rank, message));
    trainer.onOutputLine((line) => this.lineListeners.forEach((l) => l(rank === 0 ? line : `[peer ${rank}] ${line}`)));
    if (rank > 0) {
      let lastLine = '';
      trainer.onOutputLine((line) => (lastLine = line));
      trainer.onExit((code, signal) => {
        // A peer ends with the run (code 0); only an early or failed end is news.
        if (this.exited || (code === 0 && signal === null) || this.lost.has(rank)) return;
        const why = `${signal ? `ended (${signal})` : `exited with code ${code}`}${lastLine ? `: ${lastLine}` : ''}`;
        if (this.started) return this.peerLost(rank, why);
        // Before training, a peer that cannot take part means the run cannot be what was asked for.
        this.relay({ type: 'error', time: Date.now(), field: `distribution.peers.${rank}`, message: `peer ${rank} (${this.addresses[rank]}) ${why}` });
        this.leader.kill('SIGKILL');
      });
    }
  }

  private receive(rank: number, message: unknown): void {
    const parsed = TrainerMessage.safeParse(message);
    // Rank 0's messages are the supervisor's to check and log; the others' are read here.
    if (!parsed.success) return rank === 0 ? this.relay(message) : undefined;
    for (const event of eventsOf(parsed.data)) this.read(rank, event);
    if (rank === 0 && parsed.data.type === 'started') this.started = true;
    if (rank === 0 && (parsed.data.type === 'done' || parsed.data.type === 'stopped')) {
      this.finished = true;
      this.stats?.flush().forEach((s) => this.relay(s));
      // What the relays carried over the whole run, beside its result.
      if (this.relayedRoutes) this.relay({ type: 'ring-route', time: Date.now(), ...this.relayedRoutes, relayedBytes: this.relayLinks.bytes });
    }
    if (rank === 0 && !GROUP_ONLY.has(parsed.data.type)) this.relay(parsed.data);
  }

  /** What the group itself takes from any peer's event. */
  private read(rank: number, event: TrainerEvent): void {
    switch (event.type) {
      case 'data-port':
        return this.portOpened(rank, event.port, event.datasetFingerprint);
      case 'step':
        return this.tally(rank, event);
      case 'awaiting-ring':
        if (event.generation === this.generation) this.awaiting.add(rank);
        return this.admitJoiners();
      case 'synced':
        return this.synced(rank, event.generation, event.step, event.checksum);
      case 'ring-broken':
        if (event.generation === this.generation && this.members[event.lostRank] !== undefined) this.peerLost(this.members[event.lostRank]!, event.message);
        return;
      case 'ready':
        if (rank > 0) this.relay({ type: 'log', time: event.time, level: 'info', message: `peer ${rank} (${this.addresses[rank]}) ready: ${describeBackend(event.backend)}, pid ${event.pid}` });
        return;
      case 'error':
        if (rank > 0) this.relay(event);
        return;
      case 'progress':
        if (rank > 0 && event.phase === 'upload-data') this.uploadProgress(rank, event.done, event.total);
        return;
      case 'peer-dataset':
        if (rank > 0) this.relay({ ...event, peer: rank, address: this.addresses[rank]! });
        return;
      case 'log':
        if (rank > 0 && event.level !== 'info') this.relay({ ...event, message: `peer ${rank}: ${event.message}` });
        return;
    }
  }

  /**
   * A peer is gone (its process ended, or the others lost it): it is dropped and, once every
   * report of the loss is in, the ring is formed again over the peers left, who train on from the
   * furthest step any of them completed, the global batch kept. Without the leader, the run ends.
   */
  private peerLost(peer: number, reason: string): void {
    // Once the leader is done, peers parting is the run ending, not a loss.
    if (this.exited || this.finished || this.lost.has(peer)) return;
    if (peer === 0) {
      this.relay({ type: 'error', time: Date.now(), message: `the other peers lost the leader (peer 0): ${reason}` });
      return this.leader.kill('SIGKILL');
    }
    if (this.pipeline) {
      this.relay({
        type: 'error',
        time: Date.now(),
        message: `stage ${peer + 1} (peer ${peer}, ${this.addresses[peer]}) was lost: ${reason}; a model-parallel run cannot go on without one of its stages (resume it from its last checkpoint)`,
      });
      return this.leader.kill('SIGKILL');
    }
    this.lost.add(peer);
    this.trainers[peer]!.kill('SIGKILL');
    const peersLeft = this.members.filter((p) => !this.lost.has(p)).length;
    this.relay({ type: 'peer-lost', time: Date.now(), step: this.lastStep, peer, address: this.addresses[peer]!, reason, peersLeft });
    this.reformTimer ??= setTimeout(() => this.reform(), REPORTS_SETTLE_MS);
  }

  private reform(): void {
    this.reformTimer = null;
    if (this.exited) return;
    this.nextRing(this.members.filter((p) => !this.lost.has(p)));
    if (this.members.length >= this.minPeers) return;
    this.pausedForPeers = true;
    this.relay({
      type: 'log',
      time: Date.now(),
      level: 'warn',
      message: `paused: only ${this.members.length} peer${this.members.length === 1 ? '' : 's'} left, fewer than the run's minimum of ${this.minPeers}; add a peer to go on`,
    });
    this.leader.send({ type: 'pause' });
  }

  /** Once every peer of the ring has left it for the next: the next ring, with the ready newcomers. */
  private admitJoiners(): void {
    const members = this.members.filter((p) => !this.lost.has(p));
    if (members.some((p) => !this.awaiting.has(p))) return;
    this.awaiting.clear();
    const ready = [...this.joining].filter(([, state]) => state === 'ready').map(([index]) => index);
    ready.forEach((index) => this.joining.delete(index));
    this.nextRing([...members, ...ready]);
  }

  /** Sends `members` their new ring, by rank; with `batchOnChange: rescale`, the global batch follows the number of peers. */
  private nextRing(members: number[]): void {
    const before = this.members.length;
    this.members = members;
    this.generation++;
    this.checksums.clear();
    const rescale = this.rescaleBatch && this.lastBatchSize > 0 && members.length !== before;
    const batchSize = Math.max(1, Math.round((this.lastBatchSize * members.length) / before));
    this.sendRing(members, this.generation, () => rescale && this.leader.send({ type: 'set-hyperparams', change: { batchSize } }));
  }

  /**
   * Routes the ring's links (probing them first with `auto`, relaying over SSH those that need it),
   * then sends each member its ring: how it reaches every rank. A ring superseded meanwhile is not sent.
   */
  private sendRing(members: number[], generation: number, then: () => void = () => {}): void {
    this.routing = this.routing
      .then(async () => {
        const endpoints = await this.route(members, generation);
        if (endpoints === null || generation !== this.generation || this.exited) return;
        members.forEach((p, rank) => this.trainers[p]!.send({ type: 'ring', endpoints: endpoints[rank]!, generation, rank }));
        then();
      })
      .catch((error: unknown) => {
        if (this.exited) return;
        const message = error instanceof Error ? error.message : String(error);
        this.relay({ type: 'error', time: Date.now(), field: 'distribution.ringTransport', message: `the ring's SSH relay could not be set up: ${message}` });
        this.leader.kill('SIGKILL');
      });
  }

  /** Each member's endpoints (by rank, its upstream neighbour's through a relay where the plan says so); null once superseded. */
  private async route(members: number[], generation: number): Promise<RingEndpoint[][] | null> {
    const links = ringLinks(members);
    const reach = (peer: number) => this.reachOf(peer);
    await Promise.all(linksToProbe(links, this.transport, reach).map((link) => this.probe(link)));
    if (generation !== this.generation || this.exited) return null;
    const unreachable = new Set([...this.probed].filter(([, r]) => !r.reachable).map(([key]) => key));
    const routes = planRoutes(links, this.transport, reach, unreachable);
    const direct: RingEndpoint[] = members.map((p) => ({ host: this.hosts[p]!, port: this.ports[p]! }));
    const endpoints = members.map(() => [...direct]);
    for (const route of routes) {
      if (route.via !== 'ssh-relay') continue;
      const upstream = (route.rank - 1 + members.length) % members.length;
      endpoints[route.rank]![upstream] = await this.relayLinks.link(linkKey(route), await this.relayEnd(route.peer), await this.relayEnd(route.toPeer));
    }
    await this.relayLinks.retain(new Set(routes.filter((r) => r.via === 'ssh-relay').map(linkKey)));
    this.reportRoutes(generation, routes);
    return endpoints;
  }

  private reachOf(peer: number): PeerReach {
    const address = this.addresses[peer]!;
    return address === 'local' ? 'local' : address.startsWith('ssh://') ? 'ssh' : 'agent';
  }

  /** Whether `link.peer`'s machine can connect to `link.toPeer`'s data port: asked of its agent, or tried from here. */
  private async probe(link: RingLink): Promise<void> {
    const key = linkKey(link);
    if (this.probed.has(key)) return;
    const endpoint = { host: this.hosts[link.toPeer]!, port: this.ports[link.toPeer]! };
    const fromHere = this.addresses[link.peer] === 'local';
    let result: TcpReach;
    if (fromHere) result = await probeTcp(endpoint.host, endpoint.port, PROBE_TIMEOUT_MS);
    else if (isLoopback(endpoint.host) && !isLoopback(this.hosts[link.peer]!)) {
      // A port on this machine's loopback: the node's own loopback is another machine's.
      result = { reachable: false, reason: "it listens on this machine's loopback" };
    } else {
      const connection = await this.connections[link.peer]!;
      result = await connection.client.api.probeTcp({ endpoint, timeoutMs: PROBE_TIMEOUT_MS }).catch((error: Error) => ({ reachable: false, reason: error.message }));
    }
    this.probed.set(key, result);
    if (!result.reachable) {
      const message = `peer ${link.peer} (${this.addresses[link.peer]}) cannot connect to peer ${link.toPeer}'s data port at ${endpoint.host}:${endpoint.port} (${result.reason ?? 'refused'})`;
      this.relay({ type: 'log', time: Date.now(), level: 'info', message });
    }
  }

  private async relayEnd(peer: number): Promise<RelayEnd> {
    if (this.addresses[peer] === 'local') return { kind: 'local', host: this.hosts[peer]!, port: this.ports[peer]! };
    const tunnel = (await this.connections[peer]!).tunnel;
    if (!tunnel) throw new Error(`peer ${peer} (${this.addresses[peer]}) has no SSH connection to carry the ring`);
    return { kind: 'node', tunnel, port: this.ports[peer]! };
  }

  /** Says, in the run's log, when the ring runs over the relay (and when it no longer does). */
  private reportRoutes(generation: number, links: RingLinkRoute[]): void {
    const relayed = describeRelayedLinks(links);
    if (!relayed && !this.relayedRoutes) return;
    this.relayedRoutes = { generation, links };
    this.relay({ type: 'ring-route', time: Date.now(), generation, links, relayedBytes: this.relayLinks.bytes });
    if (relayed) this.relay({ type: 'log', time: Date.now(), level: 'warn', message: `${RELAYED_RING_NOTE}: ${relayed}` });
  }

  /** A peer's parameters' checksum on a new ring: each peer's is checked against the leader's on that ring, a newcomer's recorded. */
  private synced(peer: number, generation: number, step: number, checksum: string): void {
    if (generation !== this.generation) return;
    this.checksums.set(peer, checksum);
    const leader = this.checksums.get(0);
    if (leader === undefined) return;
    for (const [index, sum] of this.checksums) {
      if (index === 0 || this.checked.has(index)) continue;
      this.checked.add(index);
      if (sum !== leader) {
        this.relay({ type: 'error', time: Date.now(), message: `peer ${index} (${this.addresses[index]}) holds other parameters than the leader (checksum ${sum}, leader ${leader})` });
        return this.leader.kill('SIGKILL');
      }
      if (generation > 0) this.relay({ type: 'peer-joined', time: Date.now(), step, peer: index, address: this.addresses[index]!, peers: this.members.length, checksum: sum });
    }
  }

  private uploadProgress(rank: number, done: number, total: number): void {
    this.uploads.set(rank, { done, total });
    const all = [...this.uploads.values()];
    this.relay({ type: 'progress', time: Date.now(), phase: 'upload-data', done: all.reduce((s, u) => s + u.done, 0), total: all.reduce((s, u) => s + u.total, 0) });
  }

  private tally(rank: number, step: Extract<TrainerEvent, { type: 'step' }>): void {
    if (rank === 0) {
      this.lastStep = step.step;
      this.lastBatchSize = step.batchSize;
    }
    const stats = this.stats?.add(rank, step);
    if (stats) this.relay(stats);
  }

  private portOpened(rank: number, port: number, fingerprint: string): void {
    // Peers on other nodes read the dataset there: a different file or copy would train a different model.
    const first = this.fingerprints.find((f) => f !== undefined);
    this.fingerprints[rank] = fingerprint;
    if (first !== undefined && fingerprint !== first) {
      const message = `peer ${rank} (${this.addresses[rank]}) loaded other data than the others (dataset fingerprint ${fingerprint}, the others ${first}): give every node the same dataset`;
      if (!this.started) {
        this.relay({ type: 'error', time: Date.now(), field: `distribution.peers.${rank}`, message });
        return this.leader.kill('SIGKILL');
      }
      // A newcomer turned away: it never joins, so its going is no loss.
      this.relay({ type: 'log', time: Date.now(), level: 'error', message });
      this.joining.delete(rank);
      this.lost.add(rank);
      return this.trainers[rank]!.kill('SIGKILL');
    }
    this.ports[rank] = port;
    if (this.joining.has(rank)) {
      this.joining.set(rank, 'ready');
      this.leader.send({ type: 'regroup' });
      // Paused for want of peers: enough are here now, counting this one (it joins at the epoch's end).
      const ready = [...this.joining.values()].filter((state) => state === 'ready').length;
      if (this.pausedForPeers && this.members.length + ready >= this.minPeers) {
        this.pausedForPeers = false;
        this.leader.send({ type: 'resume' });
      }
      return;
    }
    if (this.ports.some((p) => p === undefined)) return;
    this.sendRing(this.members, 0);
  }

  private relay(message: unknown): void {
    for (const l of this.messageListeners) l(message);
  }
}
