import type { MessageChannel, RpcRequest } from '../../../shared/rpc-protocol.js';

export class SessionRefused extends Error {
  override name = 'SessionRefused';
}

export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
}

/** Whether the HTTP server that served this page is up, whatever it answers. */
async function serverAnswers(): Promise<boolean> {
  try {
    await fetch(location.pathname, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `serve` mode: trade the URL's one-time token for a session cookie, take the token out of the
 * address bar, then open the API's WebSocket on the same origin.
 */
export async function openWebSocketChannel(): Promise<MessageChannel<unknown, RpcRequest>> {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token) {
    const res = await fetch('/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    if (!res.ok) throw new SessionRefused('the link’s token was refused');
  }
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`);
  const opened = await new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true), { once: true });
    socket.addEventListener('close', () => resolve(false), { once: true });
  });
  if (!opened) {
    // Closed before opening: either the server is down (retry later) or it is up and refused
    // this session (401: the cookie is gone or the server restarted), which no retry will fix.
    if (await serverAnswers()) throw new SessionRefused('the server refused this session');
    throw new ServerUnreachable('the server does not answer');
  }
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    onMessage: (listener) => {
      const handler = (e: MessageEvent) => {
        try {
          listener(JSON.parse(String(e.data)));
        } catch {
          listener(undefined);
        }
      };
      socket.addEventListener('message', handler);
      return () => socket.removeEventListener('message', handler);
    },
    onClose: (listener) => {
      socket.addEventListener('close', listener);
      return () => socket.removeEventListener('close', listener);
    },
  };
}
