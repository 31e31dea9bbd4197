import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ForwardedPort {
  /** On 127.0.0.1 of this machine. */
  port: number;
  close(): Promise<void>;
}

/**
 * A loopback port on this machine whose every connection is piped through a new stream from
 * `open` (an SSH `forwardOut`), so code that speaks TCP (the agent client's WebSocket) needs no change.
 */
export async function forwardLocalPort(open: () => Promise<Duplex>, onError: (error: Error) => void = () => {}): Promise<ForwardedPort> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pause();
    open().then(
      (remote) => {
        remote.on('error', () => socket.destroy());
        remote.once('close', () => socket.destroy());
        socket.once('close', () => remote.destroy());
        socket.pipe(remote);
        remote.pipe(socket);
        socket.resume();
      },
      (error: Error) => {
        onError(error);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
