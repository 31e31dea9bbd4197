import type { Duplex } from 'node:stream';
import type { NodeListener } from './ssh-connection.js';

/** What an SSH connection to a node lends others (the ring relay): streams to the node's loopback, and listeners on it. */
export interface NodeTunnel {
  /** Names the node in errors: `user@host:port`. */
  where: string;
  /** A stream to 127.0.0.1:`port` on the node. */
  connect(port: number): Promise<Duplex>;
  /** A port on the node's loopback whose every connection arrives here as a stream. */
  listen(onStream: (stream: Duplex) => void): Promise<NodeListener>;
}
