import WebSocket from 'ws';
import type { MessageChannel, RpcRequest } from '../../shared/rpc-protocol.js';

/**
 * A program's connection to `serve`'s API (no browser, so no Origin): `headers` carry its
 * credential, e.g. the token as a bearer. Rejects with the HTTP status when the server refuses it.
 */
export async function connectApiSocket(url: string, headers: Record<string, string>): Promise<{ channel: MessageChannel<unknown, RpcRequest>; socket: WebSocket }> {
  const socket = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`the API refused the WebSocket: HTTP ${res.statusCode}`)));
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
