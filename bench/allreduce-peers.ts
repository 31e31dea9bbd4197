import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PeerEvent, type PeerCommand } from '../shared/allreduce-peer-protocol.js';
import { packageRoot } from '../host/package-root.js';

type EventOf<T extends PeerEvent['type']> = Extract<PeerEvent, { type: T }>;

/** One all-reduce rank in its own process (dist/bench/allreduce-peer.js), every event checked against the protocol. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly events: PeerEvent[] = [];
  private wake: (() => void) | null = null;

  constructor() {
    this.child = fork(join(packageRoot(), 'dist/bench/allreduce-peer.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => {
      this.events.push(PeerEvent.parse(message));
      this.wake?.();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  send(command: PeerCommand): void {
    this.child.send(command);
  }

  /** The next event of `type`, taken off the queue; a `failed` event rejects, unless that is what was asked for. */
  async next<T extends PeerEvent['type']>(type: T, timeoutMs = 60_000): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type || e.type === 'failed');
      if (i >= 0) {
        const [event] = this.events.splice(i, 1) as [PeerEvent];
        if (event.type === type) return event as EventOf<T>;
        if (event.type === 'failed') throw new Error(`peer ${this.child.pid}: ${event.name}: ${event.message}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`peer ${this.child.pid}: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

export interface RingProcessOptions {
  worldSize: number;
  chunkBytes: number;
  timeoutMs: number;
  /** Each rank's ring on a worker thread (RingThread), as trainers have it. */
  thread?: boolean;
}

/** `worldSize` peer processes on loopback, each with its data port open and the ring formed. */
export async function startRingProcesses({ worldSize, chunkBytes, timeoutMs, thread = false }: RingProcessOptions): Promise<PeerProcess[]> {
  const peers = Array.from({ length: worldSize }, () => new PeerProcess());
  const runId = `bench-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(32).toString('hex');
  for (const peer of peers) peer.send({ type: 'open', runId, secret, bindHost: '127.0.0.1', thread });
  const ports = await Promise.all(peers.map((peer) => peer.next('opened')));
  const endpoints = ports.map(({ port }) => ({ host: '127.0.0.1', port }));
  peers.forEach((peer, rank) =>
    peer.send({ type: 'form', membership: { runId, generation: 0, rank, endpoints, timeoutMs }, chunkBytes }),
  );
  await Promise.all(peers.map((peer) => peer.next('formed')));
  return peers;
}
