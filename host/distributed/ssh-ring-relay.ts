import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RingEndpoint } from '../../shared/ring-membership.js';
import type { NodeTunnel } from '../ssh/node-tunnel.js';

/** One end of a relayed link: a trainer on this machine (its data port at host:port), or on a node reached over SSH (its data port on the node's loopback). */
export type RelayEnd = { kind: 'local'; host: string; port: number } | { kind: 'node'; tunnel: NodeTunnel; port: number };

interface RelayLink {
  /** Where `to` is, so a link whose end moved (another port) is made anew. */
  target: string;
  endpoint: RingEndpoint;
  streams: Set<Duplex>;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/**
 * Carries ring links through this app when the trainers cannot connect to each other: for the
 * link "peer i connects to peer j", a port on i's machine's loopback (a listening socket here, or
 * an SSH remote forward on i's node) whose every connection is piped to j's data port (a TCP
 * connection here, or an SSH stream to j's node's loopback). The trainers' handshake is end to
 * end, so the relay only moves bytes; SSH encrypts each hop off this machine.
 */
export class SshRingRelay {
  private readonly links = new Map<string, RelayLink>();
  private carried = 0;

  /** Bytes moved through the relay, both ways, since the run began. */
  get bytes(): number {
    return this.carried;
  }

  /** The endpoint `from`'s trainer is to connect to for `to` (the link `key`); an existing link with the same ends is kept. */
  async link(key: string, from: RelayEnd, to: RelayEnd): Promise<RingEndpoint> {
    const target = to.kind === 'local' ? `${to.host}:${to.port}` : `${to.tunnel.where}:${to.port}`;
    const existing = this.links.get(key);
    if (existing?.target === target) return existing.endpoint;
    await existing?.close();
    this.links.delete(key);
    const streams = new Set<Duplex>();
    const open = (): Promise<Duplex> => (to.kind === 'local' ? connectLocal(to.host, to.port) : to.tunnel.connect(to.port));
    const accept = (incoming: Duplex) => this.pipe(incoming, open, streams);
    const listener = from.kind === 'local' ? await listenLocal(accept) : await from.tunnel.listen(accept);
    const link: RelayLink = {
      target,
      endpoint: { host: LOOPBACK, port: listener.port },
      streams,
      close: async () => {
        for (const stream of streams) stream.destroy();
        await listener.close();
      },
    };
    this.links.set(key, link);
    return link.endpoint;
  }

  /** Closes the links not among `keys` (the ring they served was left behind). */
  async retain(keys: ReadonlySet<string>): Promise<void> {
    const stale = [...this.links].filter(([key]) => !keys.has(key));
    for (const [key] of stale) this.links.delete(key);
    await Promise.all(stale.map(([, link]) => link.close()));
  }

  async close(): Promise<void> {
    await this.retain(new Set());
  }

  private pipe(incoming: Duplex, open: () => Promise<Duplex>, streams: Set<Duplex>): void {
    streams.add(incoming);
    incoming.pause();
    incoming.on('error', () => incoming.destroy());
    incoming.once('close', () => streams.delete(incoming));
    open().then(
      (outgoing) => {
        streams.add(outgoing);
        outgoing.on('error', () => outgoing.destroy());
        outgoing.once('close', () => {
          streams.delete(outgoing);
          incoming.destroy();
        });
        incoming.once('close', () => outgoing.destroy());
        if (incoming.destroyed) return outgoing.destroy();
        const count = (chunk: Buffer) => (this.carried += chunk.length);
        incoming.on('data', count);
        outgoing.on('data', count);
        incoming.pipe(outgoing);
        outgoing.pipe(incoming);
        incoming.resume();
      },
      // The trainer sees its connection close and tries again, as it would against a port not open yet.
      () => incoming.destroy(),
    );
  }
}

function connectLocal(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function listenLocal(accept: (socket: Duplex) => void): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer({ noDelay: true }, accept);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
