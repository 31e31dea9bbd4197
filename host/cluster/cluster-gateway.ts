import { LOCAL_CLUSTER, type ClusterTarget } from '../../shared/cluster-job.js';
import type { ApiClient } from '../../shared/api-client.js';
import type { ApiParams } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import { CLUSTER_METHODS, type ClusterAccess, type ClusterAccessFor, type ClusterMethod } from './cluster-access.js';

export type SshClusterTarget = Extract<ClusterTarget, { kind: 'ssh' }>;

/**
 * The app's agent on one login node, as a ClusterAccess: connected on the first call, again on a
 * call after the connection dropped or a connect failed. No call is retried on a new connection,
 * since a submit that may have reached Slurm must not be sent twice.
 */
export class LoginNodeLink {
  private current: Promise<AgentConnection> | null = null;
  private closed = false;
  readonly access: ClusterAccess;

  constructor(
    private readonly url: string,
    private readonly open: () => Promise<AgentConnection>,
  ) {
    this.access = forwardedClusterAccess(() => this.client(), url);
  }

  /** Ends the connection (the agent keeps running on the login node, as for peers); later calls are refused. */
  close(): void {
    this.closed = true;
    void this.current?.then((c) => c.close(), () => {});
    this.current = null;
  }

  private async client(): Promise<ApiClient> {
    if (this.closed) throw new ApiError({ code: 'conflict', message: `target: ${this.url}: the app is shutting down` });
    this.current ??= this.connect();
    return (await this.current).client;
  }

  private connect(): Promise<AgentConnection> {
    const made: Promise<AgentConnection> = this.open().then(
      (connection) => {
        void connection.client.whenClosed.then(() => {
          if (this.current === made) this.current = null;
          // The agent's socket is gone, not necessarily the SSH connection under it.
          connection.close();
        });
        if (this.closed) connection.close();
        return connection;
      },
      (error: unknown) => {
        if (this.current === made) this.current = null;
        throw error;
      },
    );
    return made;
  }
}

export interface ClusterGatewayDeps {
  /** This machine's cluster, for `{kind: 'local'}`. */
  local: ClusterAccess;
  /** The app's agent on the login node a target names, reached over SSH with the peers' host-key rules. */
  connect: (target: SshClusterTarget) => Promise<AgentConnection>;
}

/**
 * Every cluster the host is asked about: its own through Slurm's commands here, a login node's
 * through the app's agent there, which runs them as its own local cluster; one link per login node.
 */
export class ClusterGateway {
  private readonly links = new Map<string, LoginNodeLink>();
  private closed = false;

  constructor(private readonly deps: ClusterGatewayDeps) {}

  readonly accessFor: ClusterAccessFor = async (target) => {
    if (target.kind === 'local') return this.deps.local;
    let link = this.links.get(target.url);
    if (!link) {
      link = new LoginNodeLink(target.url, () => this.deps.connect(target));
      if (this.closed) link.close();
      else this.links.set(target.url, link);
    }
    return link.access;
  };

  /** Ends every login node's connection. */
  close(): void {
    this.closed = true;
    for (const link of this.links.values()) link.close();
  }
}

/**
 * A login node's cluster through its agent: each method is the same API method there with the
 * target `local`. The client checks the params before sending and the result on arrival against
 * the contract's schemas, so a name or path the contract refuses never leaves this machine.
 */
export function forwardedClusterAccess(client: () => Promise<ApiClient>, where: string): ClusterAccess {
  const forward =
    <M extends ClusterMethod>(method: M) =>
    async (params: object) => {
      try {
        return await (await client()).call(method, { ...params, target: LOCAL_CLUSTER } as ApiParams<M>);
      } catch (error) {
        throw asApiError(error, where);
      }
    };
  return Object.fromEntries(CLUSTER_METHODS.map((method) => [method, forward(method)])) as unknown as ClusterAccess;
}

/** The agent's own errors as they came (a refused field, an unknown run); a failed or broken connection named by the login node. */
function asApiError(error: unknown, where: string): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({ code: 'internal', message: `cluster ${where}: ${error instanceof Error ? error.message : String(error)}` });
}
