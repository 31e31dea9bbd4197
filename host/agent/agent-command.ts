import { hostname, networkInterfaces } from 'node:os';
import { AgentListening } from '../../shared/agent-protocol.js';
import { createCliHost } from '../cli/cli-host.js';
import { EXIT } from '../cli/exit-codes.js';
import { packageVersion } from '../package-root.js';
import { SecretRedactor } from '../secrets/secret-redactor.js';
import { DEFAULT_DATASET_UPLOAD_LIMIT } from '../../shared/dataset-upload.js';
import { parseAgentAddress, parseUploadLimit } from './agent-flags.js';
import { startAgentServer } from './agent-server.js';
import { AgentTokenFile } from './agent-token.js';

export interface AgentOptions {
  dataDir: string;
  port?: string;
  listen?: string;
  printToken: boolean;
  json: boolean;
  /** Where Fashion-MNIST is on this node, for the peer trainers it runs (default: Debian's). */
  datasetDir?: string;
  /** The largest dataset an app may send this node, as typed (default DEFAULT_DATASET_UPLOAD_LIMIT). */
  datasetUploadLimit?: string;
}

/** `hpc-studio agent`: this node's API for the app, in the foreground until SIGINT/SIGTERM. */
export async function agentCommand(options: AgentOptions): Promise<number> {
  const redactor = new SecretRedactor();
  const out = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');
  const complain = (field: string, message: string) => {
    if (options.json) out({ type: 'error', field, message });
    process.stderr.write(`error: ${redactor.redact(message)}\n`);
    return EXIT.badInput;
  };

  const tokens = new AgentTokenFile(options.dataDir, redactor);
  let token;
  try {
    token = tokens.load();
    if (options.printToken && token.created) tokens.save(token.token);
  } catch (error) {
    return complain('--data-dir', error instanceof Error ? error.message : String(error));
  }
  if (options.printToken) {
    if (options.json) out({ token: token.token });
    else process.stdout.write(`${token.token}\n`);
    return EXIT.done;
  }

  const parsed = parseAgentAddress(options);
  const limit = options.datasetUploadLimit === undefined ? { bytes: DEFAULT_DATASET_UPLOAD_LIMIT } : parseUploadLimit(options.datasetUploadLimit);
  const errors = [...('errors' in parsed ? parsed.errors : []), ...('error' in limit ? [limit.error] : [])];
  if ('errors' in parsed || 'error' in limit) {
    for (const e of errors) complain(e.field, e.message);
    return EXIT.badInput;
  }
  const log = (line: string) => process.stderr.write(`${redactor.redact(line)}\n`);
  const version = packageVersion();
  const host = createCliHost(options.dataDir, undefined, options.datasetDir, limit.bytes);
  let server;
  try {
    server = await startAgentServer({
      ...parsed.address,
      token: token.token,
      version,
      service: host.service,
      log: (line) => log(`agent: ${line}`),
      onError: (error) => log(`agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    });
    if (token.created) tokens.save(token.token);
  } catch (error) {
    await server?.close();
    const message = error instanceof Error ? error.message : String(error);
    return complain(message.startsWith('--listen') ? '--listen' : message.startsWith('--port') ? '--port' : '--data-dir', message);
  }
  // Listening before the URL is printed: whoever reads it may connect or press Ctrl-C at once.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await host.monitor.start();

  const url = `ws://${urlHost(parsed.address.host)}:${server.port}`;
  if (options.json) {
    out(AgentListening.parse({ type: 'listening', url, port: server.port, version, tokenCreated: token.created, ...(token.created ? { token: token.token } : {}) }));
  } else {
    process.stdout.write(`${url}\n`);
    // The one time the token is shown unasked; `agent --print-token` shows it again.
    if (token.created) process.stderr.write(`token: ${token.token}\n`);
  }
  log(`HPC Studio agent ${version} on ${reachableAt(parsed.address.host, server.port)}; data dir ${options.dataDir}; token kept in ${tokens.place}; Ctrl-C to stop`);

  await stopRequested;
  log('shutting down: stopping any run cleanly…');
  await host.supervisor.stopAll();
  host.service.killPeerTrainers();
  host.service.undeployAll();
  host.monitor.stop();
  await server.close();
  return EXIT.done;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The host to give the app: a wildcard bind is reached by this machine's name. */
function urlHost(address: string): string {
  if (isWildcard(address)) return hostname();
  return address.includes(':') ? `[${address}]` : address;
}

function reachableAt(address: string, port: number): string {
  if (!isWildcard(address)) return `${urlHost(address)}:${port}`;
  const ipv4Only = address === '0.0.0.0';
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !(ipv4Only && a.family !== 'IPv4'))
    .map((a) => (a!.family === 'IPv6' ? `[${a!.address}]` : a!.address));
  return `every address (${addresses.join(', ')}), port ${port}`;
}
