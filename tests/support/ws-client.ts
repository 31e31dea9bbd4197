import WebSocket from 'ws';
import type { MessageChannel, RpcRequest } from '../../shared/rpc-protocol.js';

/** A program's connection to `serve` (no browser, so no Origin): the token as a bearer credential. */
export async function connectWebSocket(
  port: number,
  headers: Record<string, string>,
): Promise<{ channel: MessageChannel<unknown, RpcRequest>; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return {
    socket,
    channel: {
      send: (message) => socket.send(JSON.stringify(message)),
      onMessage: (listener) => {
        const handler = (data: WebSocket.RawData) => listener(JSON.parse(data.toString()));
        socket.on('message', handler);
        return () => socket.off('message', handler);
      },
      onClose: (listener) => {
        socket.on('close', listener);
        return () => socket.off('close', listener);
      },
    },
  };
}
