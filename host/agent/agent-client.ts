import { performance } from 'node:perf_hooks';
import { AGENT_API_PATH, VERSION_HEADER } from '../../shared/agent-protocol.js';
import { ApiClient } from '../../shared/api-client.js';
import { ApiSocketRefused, ApiSocketTimeout, connectApiSocket } from '../web/api-socket.js';

export interface AgentAddress {
  /** `ws://HOST:PORT` as the agent printed it (a trailing `/api` is accepted too). */
  url: string;
  token: string;
  /** This app's HPC Studio version; the agent refuses any other. */
  version: string;
  /** How long to wait for the agent to answer (default 10 s). */
  timeoutMs?: number;
}

export interface AgentConnection {
  /** `ws://HOST:PORT`, as errors name it. */
  url: string;
  client: ApiClient;
  close(): void;
}

/** Why an agent could not be used, in words for the peer list: the URL first, then what went wrong. */
export class AgentConnectionError extends Error {
  constructor(
    readonly reason: 'bad-url' | 'wrong-token' | 'version-mismatch' | 'refused' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'AgentConnectionError';
  }
}

/** The typed API of an `hpc-studio agent`, over its WebSocket with the token as a bearer and this app's version. */
export async function connectAgent(address: AgentAddress): Promise<AgentConnection> {
  const base = agentBaseUrl(address.url);
  const at = `agent at ${base}`;
  let connected;
  try {
    connected = await connectApiSocket(
      `${base}${AGENT_API_PATH}`,
      { authorization: `Bearer ${address.token}`, [VERSION_HEADER]: address.version },
      { timeoutMs: address.timeoutMs },
    );
  } catch (error) {
    throw explain(error, at, address.version);
  }
  const { socket, channel } = connected;
  const client = new ApiClient(channel);
  return {
    url: base,
    client,
    close: () => {
      client.close();
      socket.close();
    },
  };
}

/** Round-trip time to the agent in milliseconds: the median of `samples` cheap calls, so one hiccup does not count. */
export async function measureLatency(client: ApiClient, samples = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await client.api.getInfo({});
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

function agentBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new AgentConnectionError('bad-url', `agent URL: must look like ws://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'ws:' || url.port === '' || (url.pathname !== '/' && url.pathname !== AGENT_API_PATH) || url.search || url.username) {
    throw new AgentConnectionError('bad-url', `agent URL: must look like ws://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return `ws://${url.host}`;
}

function explain(error: unknown, at: string, ourVersion: string): AgentConnectionError {
  if (error instanceof ApiSocketRefused) {
    if (error.status === 401) return new AgentConnectionError('wrong-token', `${at}: wrong token`);
    if (error.status === 426) {
      const theirs = error.headers[VERSION_HEADER];
      const runs = typeof theirs === 'string' ? `runs HPC Studio ${theirs}` : 'runs another version of HPC Studio';
      return new AgentConnectionError('version-mismatch', `${at}: ${runs}, this app is ${ourVersion}; install the same version on both`);
    }
    return new AgentConnectionError('refused', `${at}: refused the connection (HTTP ${error.status}); is it an HPC Studio agent?`);
  }
  if (error instanceof ApiSocketTimeout) return new AgentConnectionError('unreachable', `${at}: not reachable (${error.message})`);
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ECONNREFUSED' ? 'nothing listens on that port'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host name'
    : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'no route to that host'
    : code === 'ECONNRESET' ? 'the connection was reset'
    : error instanceof Error ? error.message
    : String(error);
  return new AgentConnectionError('unreachable', `${at}: not reachable (${why})`);
}
