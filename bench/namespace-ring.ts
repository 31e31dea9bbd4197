import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { packageRoot } from '../host/package-root.js';
import { ScalingPeerEvent, type ScalingPeerCommand } from '../shared/scaling-peer-protocol.js';
import type { SwitchedNamespaces } from './switched-namespaces.js';

type EventOf<T extends ScalingPeerEvent['type']> = Extract<ScalingPeerEvent, { type: T }>;

/** One scaling peer (dist/bench/scaling-peer.js) inside a simulated node's namespace, every event checked against the protocol. */
export class NamespacePeer {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly events: ScalingPeerEvent[] = [];
  private wake: (() => void) | null = null;
  private exitNote: string | null = null;

  constructor(cluster: SwitchedNamespaces, k: number) {
    // `ip netns exec` execs node in place, so the IPC channel's descriptor is node's own.
    const [command, args] = cluster.exec(k, [process.execPath, join(packageRoot(), 'dist/bench/scaling-peer.js')]);
    this.child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => {
      this.events.push(ScalingPeerEvent.parse(message));
      this.wake?.();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitNote = `exited (${signal ?? `code ${code}`})`;
        this.wake?.();
        resolve();
      }),
    );
  }

  send(command: ScalingPeerCommand): void {
    this.child.send(command);
  }

  /** The next event of `type`, taken off the queue; a `failed` event or the process's exit rejects. */
  async next<T extends ScalingPeerEvent['type']>(type: T, timeoutMs: number): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type || e.type === 'failed');
      if (i >= 0) {
        const [event] = this.events.splice(i, 1) as [ScalingPeerEvent];
        if (event.type === 'failed') throw new Error(`scaling peer ${this.child.pid}: ${event.name}: ${event.message}`);
        return event as EventOf<T>;
      }
      if (this.exitNote) throw new Error(`scaling peer ${this.child.pid} ${this.exitNote} before sending ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`scaling peer ${this.child.pid}: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** One peer per simulated node, each with its data port open on its node's address and the ring formed across them. */
export async function startNamespaceRing(cluster: SwitchedNamespaces, chunkBytes: number, timeoutMs: number): Promise<NamespacePeer[]> {
  const peers = cluster.nodes.map((_, k) => new NamespacePeer(cluster, k));
  try {
    const runId = `scaling-${randomBytes(4).toString('hex')}`;
    const secret = randomBytes(32).toString('hex');
    peers.forEach((peer, k) => peer.send({ type: 'open', runId, secret, bindHost: cluster.nodes[k]!.nodeAddress }));
    const ports = await Promise.all(peers.map((peer) => peer.next('opened', timeoutMs)));
    const endpoints = ports.map(({ port }, k) => ({ host: cluster.nodes[k]!.nodeAddress, port }));
    peers.forEach((peer, rank) => peer.send({ type: 'form', membership: { runId, generation: 0, rank, endpoints, timeoutMs }, chunkBytes }));
    await Promise.all(peers.map((peer) => peer.next('formed', timeoutMs)));
    return peers;
  } catch (error) {
    await Promise.all(peers.map((peer) => peer.kill()));
    throw error;
  }
}
