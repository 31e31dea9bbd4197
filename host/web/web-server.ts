import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc-protocol.js';
import { serveApi } from '../api-server.js';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.js';
import type { StudioService } from '../studio-service.js';
import { RequestGuard } from './request-guard.js';
import { serveStatic } from './static-files.js';
import { webSocketChannel } from './web-socket-channel.js';

export interface WebServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (index.html and assets). */
  uiRoot: string;
  service: StudioService;
  onError?: (error: unknown) => void;
}

export interface WebServer {
  /** The URL to open, with the one-time token the page trades for a session. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** `serve`: the built UI over HTTP and the API over a WebSocket at `/api`, behind a token. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const guard = new RequestGuard();
  const onError = options.onError ?? (() => {});
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    try {
      route(req, res);
    } catch (error) {
      onError(error);
      if (!res.headersSent) res.writeHead(400).end();
    }
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    if (!guard.hostAllowed(req)) return void res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request\n');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/session' && req.method === 'POST') return openSession(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    serveStatic(options.uiRoot, path, res);
  }

  function openSession(req: IncomingMessage, res: ServerResponse): void {
    if (!guard.originAllowed(req)) return void res.writeHead(403).end();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 1024) req.destroy();
    });
    req.on('end', () => {
      let token: unknown;
      try {
        token = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
      if (!guard.tokenMatches(token)) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Invalid token\n');
      res.writeHead(204, { 'set-cookie': guard.sessionCookie(guard.openSession()) }).end();
    });
  }

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const refusal =
      path !== '/api' ? '404 Not Found'
      : !guard.hostAllowed(req) ? '421 Misdirected Request'
      : !guard.originAllowed(req) ? '403 Forbidden'
      : !guard.authenticated(req) ? '401 Unauthorized'
      : null;
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // ws closes a connection that breaks the protocol itself (1009 for a frame over the size
      // limit) and then emits 'error': unheard, that would throw and take the whole host down.
      ws.on('error', () => {});
      serveApi(webSocketChannel(ws), options.service, onError);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} is busy on ${options.host}; pick another with --port N, or --port 0 for any free port`)
          : error,
      );
    });
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  guard.bind(options.host, port);
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostPart}:${port}/?token=${guard.token}`,
    port,
    token: guard.token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
