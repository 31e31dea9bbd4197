import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AgentUrl, SshUrl, type AddSshPeerResult, type PeerStatus } from '../../shared/peer-status.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { describeSshTarget, sshTarget, SshTargetError } from '../../shared/ssh-target.js';
import type { AgentConnection } from '../agent/agent-client.js';
import { HostKeyRefused, type ConfirmUnknownHost, type UnknownHost } from '../ssh/known-hosts.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { PeerConnection, PeerConnector } from './peer-group-process.js';

const PeersFile = z.object({ peers: z.array(z.object({ url: z.union([AgentUrl, SshUrl]), identityFile: z.string().optional() })) });

export interface PeerDirectoryDeps {
  /** `peers.json` in the data directory: the agents the user added (never their tokens). */
  file: string;
  secrets: SecretStore;
  connect: (url: string, token: string) => Promise<AgentConnection>;
  /** A node's agent over SSH (started there if need be), with the tunnel a run's ring relay uses; `confirm` judges a host not yet in known_hosts. */
  connectSsh: (url: string, identityFile: string | undefined, confirm: ConfirmUnknownHost) => Promise<PeerConnection>;
  measureLatency: (connection: AgentConnection) => Promise<number>;
  onChange: (peers: PeerStatus[]) => void;
  refreshEveryMs?: number;
}

interface Entry {
  status: PeerStatus;
  /** An SSH peer's key file (absent: ssh-agent's keys). */
  identityFile?: string;
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
    for (const { url, identityFile } of this.saved()) this.entries.set(url, { status: this.blank(url), identityFile, token: null, connection: null });
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
    if (!this.deps.secrets.cannotRemember) this.deps.secrets.set(secretName(url), token);
    return this.keep(url, { token }, connection);
  }

  /**
   * Adds a node over SSH. A host not in known_hosts is not connected to: its fingerprint comes back
   * for the user to check, and a second call trusting exactly that fingerprint adds it.
   */
  async addSsh(params: { host: string; port: number; user: string; identityFile?: string; trust?: string }): Promise<AddSshPeerResult> {
    let url: string;
    try {
      url = `ssh://${describeSshTarget(sshTarget(params))}`;
    } catch (error) {
      if (!(error instanceof SshTargetError)) throw error;
      throw new ApiError({ code: 'invalid', message: error.message, fields: [{ field: error.field, message: error.message }] });
    }
    let unknown: UnknownHost | null = null;
    const confirm: ConfirmUnknownHost = async (host) => {
      if (params.trust === host.fingerprint) return true;
      unknown = host;
      return false;
    };
    let connection: AgentConnection;
    try {
      connection = await this.deps.connectSsh(url, params.identityFile, confirm);
    } catch (error) {
      // Declined here, so asked about: the user is to judge the fingerprint first.
      if (unknown) return { kind: 'unknown-host', ...(unknown as UnknownHost) };
      const message = (error as Error).message;
      throw new ApiError({ code: 'invalid', message: `host: ${message}`, fields: [{ field: 'host', message }] });
    }
    return { kind: 'added', peer: await this.keep(url, { token: null, identityFile: params.identityFile }, connection) };
  }

  /** Lists a peer just connected to (in place of any earlier one at that address), saved and refreshed. */
  private async keep(url: string, how: Pick<Entry, 'token' | 'identityFile'>, connection: AgentConnection): Promise<PeerStatus> {
    this.entries.get(url)?.connection?.close();
    const entry: Entry = { status: this.blank(url), ...how, connection: null };
    this.watch(entry, connection);
    this.entries.set(url, entry);
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
  readonly connector: PeerConnector = (url) => this.open(url);

  /** A new connection to a kept peer: over SSH (its host must be in known_hosts by now), or with its token. */
  private open(url: string): Promise<PeerConnection> {
    if (url.startsWith('ssh://')) {
      return this.deps.connectSsh(url, this.entries.get(url)?.identityFile, async ({ fingerprint }) => {
        throw new HostKeyRefused('declined', `${url} is no longer in known_hosts (its key is ${fingerprint}); add it again in the Peers panel to check it`);
      });
    }
    const token = this.tokenOf(url);
    if (!token) return Promise.reject(new Error(`no token kept (${this.deps.secrets.cannotRemember ?? 'removed'}): add the peer again with its token`));
    return this.deps.connect(url, token);
  }

  private tokenOf(url: string): string | null {
    return this.entries.get(url)?.token ?? this.deps.secrets.get(secretName(url));
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([...this.entries.entries()].map(([url, entry]) => this.refresh(url, entry)));
  }

  private async refresh(url: string, entry: Entry): Promise<void> {
    try {
      if (!entry.connection) this.watch(entry, await this.open(url));
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

  private saved(): z.infer<typeof PeersFile>['peers'] {
    try {
      return PeersFile.parse(JSON.parse(readFileSync(this.deps.file, 'utf8'))).peers;
    } catch {
      return [];
    }
  }

  private save(): void {
    const peers = [...this.entries].map(([url, e]) => ({ url, ...(e.identityFile ? { identityFile: e.identityFile } : {}) }));
    writeFileAtomic(this.deps.file, JSON.stringify({ peers }, null, 2) + '\n');
  }

  private changed(): void {
    this.deps.onChange(this.list());
  }
}
