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

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `--dataset-upload-limit`: bytes, or a number with K, M, G or T (powers of 1024). */
export function parseUploadLimit(text: string): { bytes: number } | { error: FieldError } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = match ? Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (bytes >= 1 && bytes <= SIZE_UNITS.t!) return { bytes };
  return {
    error: {
      field: '--dataset-upload-limit',
      message: `--dataset-upload-limit: must be a size from 1 byte to 1T, in bytes or with K, M, G or T (powers of 1024), e.g. 500M or 2G; got ${JSON.stringify(text)}`,
    },
  };
}
