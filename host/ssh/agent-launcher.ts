import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentListening } from '../../shared/agent-protocol.js';
import { AgentLaunch, RemoteAgentState } from '../../shared/remote-agent-protocol.js';
import { AgentTokenFile } from '../agent/agent-token.js';
import { defaultDataDir } from '../data-dir.js';
import { packageRoot, packageVersion } from '../package-root.js';
import { SecretRedactor } from '../secrets/secret-redactor.js';
import { isAlive } from '../process-alive.js';

/**
 * Run on a node by the app, over SSH, from an uploaded bundle: reuses this bundle's agent while it
 * runs, or starts one on the node's loopback in a session of its own (so it outlives the SSH
 * connection), and prints one AgentLaunch line with its port and token.
 */
export async function launchAgent(root: string = packageRoot()): Promise<AgentLaunch> {
  const version = packageVersion(root);
  const tokens = new AgentTokenFile(defaultDataDir(), new SecretRedactor());
  const token = tokens.load();
  if (token.created) tokens.save(token.token);

  const release = await lock(join(root, 'agent-launch.lock'));
  try {
    const state = readState(join(root, 'agent-state.json'));
    if (state && state.version === version && isAlive(state.pid) && (await listens(state.port))) {
      return { type: 'agent', pid: state.pid, port: state.port, version, token: token.token, reused: true };
    }
    const listening = await startAgent(root);
    writeFileSync(join(root, 'agent-state.json'), JSON.stringify(RemoteAgentState.parse({ pid: listening.pid, port: listening.port, version })));
    return { type: 'agent', pid: listening.pid, port: listening.port, version, token: token.token, reused: false };
  } finally {
    release();
  }
}

async function startAgent(root: string): Promise<{ pid: number; port: number }> {
  const outPath = join(root, 'agent.out');
  const logPath = join(root, 'agent.log');
  const out = openSync(outPath, 'w', 0o600);
  const log = openSync(logPath, 'a', 0o600);
  const child = spawn(process.execPath, [join(root, 'bin', 'hpc-studio.mjs'), 'agent', '--port', '0', '--json'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', out, log],
  });
  closeSync(out);
  closeSync(log);
  let exited: number | null = null;
  child.once('exit', (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.unref();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = readFileSync(outPath, 'utf8').split('\n')[0];
    if (line) {
      const listening = AgentListening.parse(JSON.parse(line));
      return { pid: child.pid!, port: listening.port };
    }
    if (exited !== null || Date.now() > deadline) {
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join(' | ');
      if (exited === null) child.kill();
      throw new Error(`the agent ${exited !== null ? `exited (code ${exited})` : 'did not start within 30 s'} on the node: ${tail || 'no output'}; its log is ${logPath}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readState(path: string): RemoteAgentState | null {
  if (!existsSync(path)) return null;
  const parsed = RemoteAgentState.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : null;
}


function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Two apps connecting at once must not start two agents: a lock file, taken over when a crashed launcher left it over a minute ago. */
async function lock(path: string): Promise<() => void> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) rmSync(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`${path} is held by another launch; remove it if none is running`);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// Real paths on both sides: a node's home is often a symlink (/home -> /export/home), and only import.meta.url is resolved.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  launchAgent().then(
    (launch) => process.stdout.write(`${JSON.stringify(launch)}\n`),
    (error: unknown) => {
      process.stdout.write(`${JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) })}\n`);
      process.exitCode = 1;
    },
  );
}
