import { isIP } from 'node:net';
import { DEFAULT_AGENT_PORT } from '../../shared/agent-protocol.js';
import type { FieldError } from '../../shared/field-error.js';

/** Loopback only: every user of a cluster node shares it, which is why the token is required even here. */
export const DEFAULT_LISTEN_ADDRESS = '127.0.0.1';

export interface AgentAddress {
  host: string;
  port: number;
}

/**
 * `--port` and `--listen` as given on the command line. Without `--listen` the agent binds
 * loopback and nothing else; there is no other way to reach beyond this machine.
 */
export function parseAgentAddress(flags: { port?: string; listen?: string }): { address: AgentAddress } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const portText = flags.port ?? String(DEFAULT_AGENT_PORT);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    errors.push({
      field: '--port',
      message: `--port: must be an integer from 0 to 65535 (0: any free port; default ${DEFAULT_AGENT_PORT}), got ${JSON.stringify(portText)}`,
    });
  }
  const host = flags.listen === undefined ? DEFAULT_LISTEN_ADDRESS : flags.listen.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0) {
    errors.push({
      field: '--listen',
      message: `--listen: must be an IP address of this machine: 0.0.0.0 (every IPv4 address), :: (every address) or one interface's, e.g. 10.0.0.5; got ${JSON.stringify(flags.listen)}`,
    });
  }
  return errors.length > 0 ? { errors } : { address: { host, port } };
}
