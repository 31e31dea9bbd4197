import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isLoopback, peerHost, type PeerAddress, type RingEndpoint } from '../../shared/distributed.js';
import { describeBackend, eventsOf, TrainerCommand, TrainerMessage, type TrainerEvent } from '../../shared/trainer-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import type { SpawnTrainer, TrainerProcess } from '../trainer-process.js';
import { agentPeerTrainer } from './agent-peer-trainer.js';
import { PeerStatsTally } from './peer-stats-tally.js';

/** Where this machine's trainers listen when the run names no interface: loopback, for peers on this machine. */
const LOOPBACK = '127.0.0.1';

/** Opens the API of the agent at a `ws://HOST:PORT` peer (with its token, which never enters a run's config). */
export type PeerConnector = (url: string) => Promise<AgentConnection>;

/**
 * Wraps a SpawnTrainer so that a run whose config names peers trains data-parallel over them,
 * `local` ones as trainer processes here and `ws://` ones through their nodes' agents, while the
 * supervisor, the run log and the UI see one trainer: rank 0's events are the run's (its loss is
 * already the global batch's), and the other peers add only their per-second throughput and
 * communication/compute split (`peer-stats`). A peer that ends early ends the run, naming it.
 */
export function withPeers(spawn: SpawnTrainer, connect?: PeerConnector, cores = availableParallelism()): SpawnTrainer {
  return (env) => new PeerGroupProcess(spawn, connect, env, cores);
}

class PeerGroupProcess implements TrainerProcess {
  private readonly leader: TrainerProcess;
  private readonly followers: TrainerProcess[] = [];
  private readonly messageListeners: ((message: unknown) => void)[] = [];
  private readonly lineListeners: ((line: string) => void)[] = [];
  private ports: (number | undefined)[] = [];
  private hosts: string[] = [];
  private addresses: PeerAddress[] = [];
  private stats: PeerStatsTally | null = null;
  private started = false;
  private exited = false;

  constructor(
    private readonly spawn: SpawnTrainer,
    private readonly connect: PeerConnector | undefined,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cores: number,
  ) {
    this.leader = spawn(env);
    this.adopt(this.leader, 0);
  }

  get pid(): number | undefined {
    return this.leader.pid;
  }

  send(message: unknown): void {
    const parsed = TrainerCommand.safeParse(message);
    const distribution = parsed.success && parsed.data.type === 'start' ? parsed.data.config.distribution : undefined;
    if (!parsed.success || parsed.data.type !== 'start' || !distribution) return this.leader.send(message);
    const worldSize = distribution.peers.length;
    const secret = randomBytes(32).toString('base64');
    const local = distribution.interface ?? LOOPBACK;
    const localPeers = distribution.peers.filter((p) => p === 'local').length;
    this.addresses = distribution.peers;
    this.ports = new Array<number | undefined>(worldSize).fill(undefined);
    this.stats = new PeerStatsTally(worldSize);
    this.hosts = distribution.peers.map((p) => peerHost(p) ?? local);
    for (let rank = 1; rank < worldSize; rank++) {
      const address = distribution.peers[rank]!;
      const follower =
        address === 'local'
          ? // The peers here share this machine's cores: each gets its part, not one thread per core.
            this.spawn({ ...this.env, HPC_STUDIO_THREADS: this.env.HPC_STUDIO_THREADS ?? String(Math.max(1, Math.floor(this.cores / localPeers))) })
          : agentPeerTrainer(this.connect ? this.connect(address) : Promise.reject(new Error(`no token for the agent at ${address} (the CLI takes --token-file FILE)`)));
      this.followers.push(follower);
      this.adopt(follower, rank);
    }
    [this.leader, ...this.followers].forEach((trainer, rank) => {
      const host = this.hosts[rank]!;
      // A node's trainer listens on all its interfaces unless its agent is reached over loopback.
      const bindHost = distribution.peers[rank] === 'local' ? local : isLoopback(host) ? LOOPBACK : '0.0.0.0';
      trainer.send({ ...parsed.data, peer: { rank, worldSize, secret, bindHost } });
    });
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
      // Rank 0 ends the run (done, stopped or failed): the others have nothing left to do.
      for (const follower of this.followers) follower.kill('SIGTERM');
      listener(code, signal);
    });
  }

  kill(signal?: NodeJS.Signals): void {
    for (const trainer of [this.leader, ...this.followers]) trainer.kill(signal);
  }

  private adopt(trainer: TrainerProcess, rank: number): void {
    trainer.onMessage((message) => this.receive(rank, message));
    trainer.onOutputLine((line) => this.lineListeners.forEach((l) => l(rank === 0 ? line : `[peer ${rank}] ${line}`)));
    if (rank > 0) {
      let lastLine = '';
      trainer.onOutputLine((line) => (lastLine = line));
      trainer.onExit((code, signal) => {
        // A peer ends with the run (code 0); only an early or failed end is news, and ends the run.
        if (this.exited || (code === 0 && signal === null)) return;
        const message = `peer ${rank} (${this.addresses[rank]}) ${signal ? `ended (${signal})` : `exited with code ${code}`}${lastLine ? `: ${lastLine}` : ''}`;
        this.relay({ type: 'error', time: Date.now(), field: this.started ? undefined : `distribution.peers.${rank}`, message });
        this.leader.kill('SIGTERM');
      });
    }
  }

  private receive(rank: number, message: unknown): void {
    const parsed = TrainerMessage.safeParse(message);
    // Rank 0's messages are the supervisor's to check and log; the others' are read here.
    if (!parsed.success) return rank === 0 ? this.relay(message) : undefined;
    for (const event of eventsOf(parsed.data)) {
      if (event.type === 'data-port') this.portOpened(rank, event.port);
      else if (event.type === 'ready' && rank > 0) {
        this.relay({ type: 'log', time: event.time, level: 'info', message: `peer ${rank} (${this.addresses[rank]}) ready: ${describeBackend(event.backend)}, pid ${event.pid}` });
      }
      else if (event.type === 'step') this.tally(rank, event);
      else if (rank > 0 && (event.type === 'error' || (event.type === 'log' && event.level !== 'info'))) {
        this.relay(event.type === 'log' ? { ...event, message: `peer ${rank}: ${event.message}` } : event);
      }
    }
    if (rank === 0 && parsed.data.type === 'started') this.started = true;
    if (rank === 0 && (parsed.data.type === 'done' || parsed.data.type === 'stopped')) this.stats?.flush().forEach((s) => this.relay(s));
    if (rank === 0 && parsed.data.type !== 'data-port') this.relay(parsed.data);
  }

  private tally(rank: number, step: Extract<TrainerEvent, { type: 'step' }>): void {
    const stats = this.stats?.add(rank, step);
    if (stats) this.relay(stats);
  }

  private portOpened(rank: number, port: number): void {
    this.ports[rank] = port;
    if (this.ports.some((p) => p === undefined)) return;
    const endpoints: RingEndpoint[] = this.ports.map((p, rank) => ({ host: this.hosts[rank]!, port: p! }));
    for (const trainer of [this.leader, ...this.followers]) trainer.send({ type: 'ring', endpoints });
  }

  private relay(message: unknown): void {
    for (const l of this.messageListeners) l(message);
  }
}
