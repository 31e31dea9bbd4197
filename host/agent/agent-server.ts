import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AGENT_API_PATH, VERSION_HEADER } from '../../shared/agent-protocol.js';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc-protocol.js';
import { serveApi } from '../api-server.js';
import type { StudioService } from '../studio-service.js';
import { webSocketChannel } from '../web/web-socket-channel.js';

export interface AgentServerOptions {
  /** The address to bind: loopback unless the user asked for another with `--listen`. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** This agent's HPC Studio version; a client must send the same. */
  version: string;
  service: StudioService;
  /** One line about a connection (admitted, refused and why), for the agent's stderr. */
  log: (line: string) => void;
  onError?: (error: unknown) => void;
}

export interface AgentServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `agent`: the typed API on a WebSocket at `/api` for the app and other agents, nothing else. No
 * page is served and no browser is let in (any Origin is refused), so there are no cookies and no
 * DNS-rebinding surface; every connection presents the token as a bearer and runs this version.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const onError = options.onError ?? (() => {});
  const expected = digest(options.token);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = createServer((_req, res) => void res.writeHead(404, { connection: 'close' }).end());

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake must not take the agent down with an unheard 'error'.
    socket.on('error', () => {});
    const who = (socket as Socket).remoteAddress ?? 'unknown address';
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== AGENT_API_PATH) return refuse(socket, '404 Not Found');
    if (req.headers.origin !== undefined) {
      options.log(`refused ${who}: a browser (Origin ${req.headers.origin.slice(0, 100)})`);
      return refuse(socket, '403 Forbidden');
    }
    if (!bearerMatches(req.headers.authorization, expected)) {
      options.log(`refused ${who}: ${req.headers.authorization === undefined ? 'no token' : 'wrong token'}`);
      return refuse(socket, '401 Unauthorized');
    }
    const theirs = req.headers[VERSION_HEADER];
    if (theirs !== options.version) {
      const said = typeof theirs === 'string' ? `HPC Studio ${theirs.slice(0, 50)}` : 'no version';
      options.log(`refused ${who}: it runs ${said}, this agent ${options.version}`);
      return refuse(
        socket,
        '426 Upgrade Required',
        { [VERSION_HEADER]: options.version },
        `this agent runs HPC Studio ${options.version}; the client sent ${said}. App and agent must run the same version.\n`,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      options.log(`admitted ${who}`);
      // ws closes a connection that breaks the protocol (1009 for a frame over the size limit)
      // and then emits 'error': unheard, that would throw and end the agent for every client.
      ws.on('error', (error) => options.log(`closed ${who}: ${error.message}`));
      serveApi(webSocketChannel(ws), options.service, onError);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' ? new Error(`--port: ${options.port} is busy on ${options.host}; pick another, or 0 for any free port`)
        : error.code === 'EADDRNOTAVAIL' ? new Error(`--listen: ${options.host} is not an address of this machine`)
        : error.code === 'EACCES' ? new Error(`--port: ${options.port} needs privileges on ${options.host}; pick one from 1024 up`)
        : error,
      );
    });
    server.listen(options.port, options.host, resolve);
  });

  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Hashing both sides first makes the comparison constant-time whatever the presented token's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const presented = /^Bearer ([\x21-\x7e]+)$/.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function refuse(socket: Duplex, status: string, headers: Record<string, string> = {}, body = ''): void {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const length = Buffer.byteLength(body);
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${extra}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${length}\r\n\r\n${body}`);
}
