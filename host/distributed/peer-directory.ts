import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AgentUrl, type PeerStatus } from '../../shared/peer-status.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { PeerConnector } from './peer-group-process.js';

const PeersFile = z.object({ peers: z.array(AgentUrl) });

export interface PeerDirectoryDeps {
  /** `peers.json` in the data directory: the agents the user added (never their tokens). */
  file: string;
  secrets: SecretStore;
  connect: (url: string, token: string) => Promise<AgentConnection>;
  measureLatency: (connection: AgentConnection) => Promise<number>;
  onChange: (peers: PeerStatus[]) => void;
  refreshEveryMs?: number;
}

interface Entry {
  status: PeerStatus;
  /** Kept in memory only, when the secret store cannot keep it. */
  token: string | null;
  connection: AgentConnection | null;
}

const secretName = (url: string) => `agent-token:${url}`;

/**
 * The Peers panel's agents: added with their token (kept in the secret store, or for this session
 * only where it cannot keep one), watched every few seconds (latency, hardware, backend), and
 * handed to data-parallel runs as their `ws://` peers.
 */
export class PeerDirectory {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PeerDirectoryDeps) {
    for (const url of this.saved()) this.entries.set(url, { status: this.blank(url), token: null, connection: null });
  }

  list(): PeerStatus[] {
    const secrets = this.deps.secrets;
    // Asked at each listing: the desktop keychain is only known once the app is ready.
    const tokenKept = secrets.cannotRemember ? `for this session only: ${secrets.cannotRemember}` : secrets.place;
    return [...this.entries.values()].map((e) => ({ ...e.status, tokenKept }));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refreshAll(), this.deps.refreshEveryMs ?? 5000);
    void this.refreshAll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const e of this.entries.values()) e.connection?.close();
  }

  /** Connects once with the token (so a wrong one is refused now, not at the next run), then keeps the peer. */
  async add(url: string, token: string): Promise<PeerStatus> {
    const connection = await this.deps.connect(url, token).catch((error: unknown) => {
      throw new ApiError({ code: 'invalid', message: `url: ${(error as Error).message}`, fields: [{ field: 'url', message: (error as Error).message }] });
    });
    this.entries.get(url)?.connection?.close();
    const entry: Entry = { status: this.blank(url), token, connection: null };
    this.watch(entry, connection);
    this.entries.set(url, entry);
    if (!this.deps.secrets.cannotRemember) this.deps.secrets.set(secretName(url), token);
    this.save();
    await this.refresh(url, entry);
    return this.list().find((p) => p.url === url)!;
  }

  remove(url: string): void {
    const entry = this.entries.get(url);
    if (!entry) throw new ApiError({ code: 'not-found', message: `url: no peer ${url}` });
    entry.connection?.close();
    this.entries.delete(url);
    this.deps.secrets.delete(secretName(url));
    this.save();
    this.changed();
  }

  /** What data-parallel runs use to reach their `ws://` peers: a connection of their own, with the kept token. */
  readonly connector: PeerConnector = (url) => {
    const token = this.tokenOf(url);
    if (!token) return Promise.reject(new Error(`no token for the agent at ${url}: add it in the Peers panel`));
    return this.deps.connect(url, token);
  };

  private tokenOf(url: string): string | null {
    return this.entries.get(url)?.token ?? this.deps.secrets.get(secretName(url));
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([...this.entries.entries()].map(([url, entry]) => this.refresh(url, entry)));
  }

  private async refresh(url: string, entry: Entry): Promise<void> {
    try {
      if (!entry.connection) {
        const token = this.tokenOf(url);
        if (!token) throw new Error(`no token kept (${this.deps.secrets.cannotRemember ?? 'removed'}): add the peer again with its token`);
        this.watch(entry, await this.deps.connect(url, token));
      }
      const connection = entry.connection!;
      const [latencyMs, description] = await Promise.all([this.deps.measureLatency(connection), connection.client.api.describePeer({})]);
      entry.status = { ...entry.status, state: 'online', latencyMs, description, problem: null };
    } catch (error) {
      entry.connection?.close();
      entry.connection = null;
      entry.status = { ...entry.status, state: 'offline', latencyMs: null, problem: error instanceof Error ? error.message : String(error) };
    }
    if (this.entries.get(url) === entry) this.changed();
  }

  /** Uses `connection` for the peer until it closes; the next refresh then connects afresh. */
  private watch(entry: Entry, connection: AgentConnection): void {
    entry.connection = connection;
    void connection.client.whenClosed.then(() => {
      if (entry.connection === connection) entry.connection = null;
    });
  }

  private blank(url: string): PeerStatus {
    return { url, state: 'connecting', latencyMs: null, description: null, problem: null, tokenKept: '' };
  }

  private saved(): string[] {
    try {
      return PeersFile.parse(JSON.parse(readFileSync(this.deps.file, 'utf8'))).peers;
    } catch {
      return [];
    }
  }

  private save(): void {
    writeFileAtomic(this.deps.file, JSON.stringify({ peers: [...this.entries.keys()] }, null, 2) + '\n');
  }

  private changed(): void {
    this.deps.onChange(this.list());
  }
}
