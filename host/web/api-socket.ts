import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES, type MessageChannel, type RpcRequest } from '../../shared/rpc-protocol.js';

/** The server answered the upgrade with an HTTP status instead of a WebSocket. */
export class ApiSocketRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`the API refused the WebSocket: HTTP ${status}`);
    this.name = 'ApiSocketRefused';
  }
}

/** No WebSocket within the time allowed: the host is down, filtered, or not answering. */
export class ApiSocketTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
    this.name = 'ApiSocketTimeout';
  }
}

/** A refusal's explanation is a line or two; anything longer is cut off. */
const MAX_REFUSAL_BODY = 4096;

/**
 * A program's connection to `serve`'s or an agent's API (no browser, so no Origin): `headers`
 * carry its credential, e.g. the token as a bearer. Rejects with `ApiSocketRefused` when the server
 * answers with an HTTP status, `ApiSocketTimeout` after `timeoutMs`, or the socket's own error.
 */
export async function connectApiSocket(
  url: string,
  headers: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<{ channel: MessageChannel<unknown, RpcRequest>; socket: WebSocket }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = new WebSocket(url, { headers, maxPayload: MAX_MESSAGE_BYTES });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ApiSocketTimeout(timeoutMs));
      socket.terminate();
    }, timeoutMs);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    socket.once('open', () => settle(resolve));
    socket.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_REFUSAL_BODY) body += chunk;
      });
      res.on('error', () => {});
      res.on('close', () => {
        settle(() => reject(new ApiSocketRefused(res.statusCode ?? 0, res.headers, body.slice(0, MAX_REFUSAL_BODY))));
        req.destroy();
      });
    });
    // Kept for the socket's life: later errors (a peer breaking the protocol) end in 'close', and unheard they would throw.
    socket.on('error', (error) => settle(() => reject(error)));
  });
  return {
    socket,
    channel: {
      send: (message) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      },
      onMessage: (listener) => {
        const handler = (data: WebSocket.RawData) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(data.toString());
          } catch {
            parsed = { kind: 'not-json' };
          }
          listener(parsed);
        };
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
