import { LOCAL_CLUSTER, type ClusterTarget } from '../../shared/cluster-job.js';
import type { ApiClient } from '../../shared/api-client.js';
import type { ApiParams } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import { CLUSTER_METHODS, type ClusterAccess, type ClusterAccessFor, type ClusterMethod } from './cluster-access.js';

export type SshClusterTarget = Extract<ClusterTarget, { kind: 'ssh' }>;

export interface ClusterGatewayDeps {
  /** This machine's cluster, for `{kind: 'local'}`. */
  local: ClusterAccess;
  /** The app's agent on the login node a target names, reached over SSH with the peers' host-key rules. */
  connect: (target: SshClusterTarget) => Promise<AgentConnection>;
}

/**
 * Every cluster the host is asked about: its own through Slurm's commands here, a login node's
 * through the app's agent there, which runs them as its own local cluster. One connection per
 * login node, made on first use and again after it dropped; none is retried under a call, since
 * a submit that may have reached Slurm must not be sent twice.
 */
export class ClusterGateway {
  private readonly connections = new Map<string, Promise<AgentConnection>>();
  private closed = false;

  constructor(private readonly deps: ClusterGatewayDeps) {}

  readonly accessFor: ClusterAccessFor = async (target) => {
    if (target.kind === 'local') return this.deps.local;
    // Connecting now, so an unreachable or refused login node is reported by the call that named it.
    await this.connection(target);
    return forwardedClusterAccess(async () => (await this.connection(target)).client, target.url);
  };

  /** Ends every login-node connection (the agents keep running there, as for peers). */
  close(): void {
    this.closed = true;
    for (const pending of this.connections.values()) void pending.then((c) => c.close(), () => {});
    this.connections.clear();
  }

  private connection(target: SshClusterTarget): Promise<AgentConnection> {
    if (this.closed) return Promise.reject(new ApiError({ code: 'conflict', message: `target: ${target.url}: the app is shutting down` }));
    const kept = this.connections.get(target.url);
    if (kept) return kept;
    const made = this.deps.connect(target).then(
      (connection) => {
        void connection.client.whenClosed.then(() => {
          if (this.connections.get(target.url) === made) this.connections.delete(target.url);
          // The agent's socket is gone, not necessarily the SSH connection under it.
          connection.close();
        });
        if (this.closed) connection.close();
        return connection;
      },
      (error: unknown) => {
        if (this.connections.get(target.url) === made) this.connections.delete(target.url);
        throw asApiError(error, target.url);
      },
    );
    this.connections.set(target.url, made);
    return made;
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

/** The agent's own errors as they came (a refused field, an unknown run); a broken connection named by the login node. */
function asApiError(error: unknown, where: string): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({ code: 'internal', message: `cluster ${where}: ${error instanceof Error ? error.message : String(error)}` });
}
