import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { AgentBundleManifest, AgentLaunch } from '../../shared/remote-agent-protocol.js';
import { defaultDataDir } from '../data-dir.js';
import { packageRoot } from '../package-root.js';
import { buildAgentBundle, type AgentBundle } from './agent-bundle.js';
import { forwardLocalPort, type ForwardedPort } from './forwarded-port.js';
import { loadPrebuiltBundle } from './prebuilt-agent-bundle.js';
import type { NodeTunnel } from './node-tunnel.js';
import type { ConfirmUnknownHost } from './known-hosts.js';
import { shellCommand } from './shell-quote.js';
import { connectSsh, type SshAuth, type SshConnection } from './ssh-connection.js';
import { describeSshTarget, parseSshTarget, sshTarget, type SshTarget } from '../../shared/ssh-target.js';
import { connectAgent, type AgentConnection } from '../agent/agent-client.js';

/** The oldest Node the agent runs on (package.json `engines`). */
export const MIN_NODE_MAJOR = 20;

export type SshPeerProgress =
  | { step: 'bundle' }
  | { step: 'connect' }
  | { step: 'check-node' }
  | { step: 'upload'; sentBytes: number; totalBytes: number }
  | { step: 'start-agent' }
  | { step: 'forward' };

export interface SshPeerOptions extends SshAuth {
  /** `ssh://user@host[:port]`, or its fields (checked again here either way). */
  target: SshTarget | string;
  confirmUnknownHost: ConfirmUnknownHost;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** This app's version: the node runs the same, uploaded by us. */
  version: string;
  /** Where the bundle's tarball is kept between connects; default `<data dir>/agent-bundles`. */
  bundleCacheDir?: string;
  /** The HPC Studio package to bundle; default this one. */
  root?: string;
  /**
   * A folder with the bundle made when the app was packaged (the installed app's
   * `resources/agent-bundle`), used in place of bundling `root` where it holds one.
   */
  prebuiltBundleDir?: string;
  onProgress?: (progress: SshPeerProgress) => void;
}

export interface SshPeer {
  /** `ws://127.0.0.1:LOCALPORT`: give it to connectAgent with the token and version. */
  url: string;
  token: string;
  /** What happened on the node, for the peer list and tests. */
  node: {
    nodeVersion: string;
    /** The bundle's folder on the node. */
    bundleDir: string;
    uploaded: boolean;
    agentPid: number;
    agentPort: number;
    reusedAgent: boolean;
  };
  /** Another loopback port of this machine forwarded to `127.0.0.1:remotePort` on the node over the same connection (e.g. a trainer's). */
  forward(remotePort: number): Promise<ForwardedPort>;
  /** Streams to the node's loopback and listeners there (ssh2 `forwardIn`), over the same connection: what the ring relay needs. */
  tunnel: NodeTunnel;
  /** Closes the forwarded ports and the SSH connection; the agent stays up on the node for the next connect. */
  close(): Promise<void>;
}

/**
 * An HPC Studio agent on a node reached by SSH: checks the node's Node, uploads this version's
 * bundle once (by hash), starts or reuses the agent on the node's loopback, and forwards a local
 * loopback port to it through the SSH connection: the agent opens no port on the node's network.
 */
export async function openSshPeer(options: SshPeerOptions): Promise<SshPeer> {
  const target = typeof options.target === 'string' ? parseSshTarget(options.target) : sshTarget(options.target);
  const progress = options.onProgress ?? (() => {});
  const where = describeSshTarget(target);

  progress({ step: 'bundle' });
  const prebuilt = options.prebuiltBundleDir === undefined ? null : loadPrebuiltBundle(options.prebuiltBundleDir);
  const bundle = prebuilt ?? (await buildAgentBundle({ root: options.root ?? packageRoot(), cacheDir: options.bundleCacheDir ?? join(defaultDataDir(), 'agent-bundles') }));
  if (bundle.version !== options.version) throw new Error(`this app is HPC Studio ${options.version} but its package is ${bundle.version}; reinstall it`);

  progress({ step: 'connect' });
  const ssh = await connectSsh({ ...options, target });
  try {
    progress({ step: 'check-node' });
    const nodeVersion = await checkNode(ssh, where);
    const sftp = await ssh.sftp();
    const home = await realpath(sftp, '.');
    const base = `${home}/.hpc-studio/agent`;
    const bundleDir = `${base}/${bundle.id}`;
    const uploaded = (await installedHash(sftp, bundleDir)) !== bundle.sha256;
    if (uploaded) await upload(ssh, sftp, bundle, base, bundleDir, progress);
    sftp.end();

    progress({ step: 'start-agent' });
    const launch = await startRemoteAgent(ssh, bundleDir, where);
    if (launch.version !== options.version) throw new Error(`the agent on ${where} runs HPC Studio ${launch.version}, this app ${options.version}`);

    progress({ step: 'forward' });
    const forwards = new Set<ForwardedPort>();
    const forward = async (remotePort: number) => {
      const forwarded = await forwardLocalPort(() => ssh.forwardOut('127.0.0.1', remotePort));
      forwards.add(forwarded);
      return forwarded;
    };
    const closeForwards = () => Promise.all([...forwards].map((f) => f.close()));
    ssh.onClose(() => void closeForwards());
    const agentPort = await forward(launch.port);
    return {
      url: `ws://127.0.0.1:${agentPort.port}`,
      token: launch.token,
      node: { nodeVersion, bundleDir, uploaded, agentPid: launch.pid, agentPort: launch.port, reusedAgent: launch.reused },
      forward,
      tunnel: {
        where,
        connect: (port) => ssh.forwardOut('127.0.0.1', port),
        listen: (onStream) => ssh.listenOnNode(onStream),
      },
      close: async () => {
        await closeForwards();
        ssh.close();
      },
    };
  } catch (error) {
    ssh.close();
    throw error;
  }
}

async function checkNode(ssh: SshConnection, where: string): Promise<string> {
  const result = await ssh.exec(shellCommand(['node', '--version']));
  const version = result.code === 0 ? result.stdout.trim() : '';
  const major = Number(/^v(\d+)\./.exec(version)?.[1] ?? NaN);
  if (!(major >= MIN_NODE_MAJOR)) {
    const found = version ? `Node ${version}` : `no \`node\` on the PATH of an SSH command${result.stderr.trim() ? `: ${result.stderr.trim().split('\n')[0]}` : ''}`;
    throw new Error(`node ${MIN_NODE_MAJOR} or newer is needed on ${where} (found ${found}); install it from your distribution or nodejs.org`);
  }
  return version;
}

async function installedHash(sftp: SFTPWrapper, bundleDir: string): Promise<string | null> {
  const text = await new Promise<string | null>((resolve) => {
    sftp.readFile(`${bundleDir}/manifest.json`, 'utf8', (error, data) => resolve(error ? null : String(data)));
  });
  if (text === null) return null;
  try {
    return AgentBundleManifest.parse(JSON.parse(text)).sha256;
  } catch {
    return null;
  }
}

/**
 * Into a staging folder of its own, the manifest last, then renamed into place: an interrupted upload
 * is never taken for a complete one, and two apps uploading at once each finish with a whole bundle.
 */
async function upload(ssh: SshConnection, sftp: SFTPWrapper, bundle: AgentBundle, base: string, bundleDir: string, progress: (p: SshPeerProgress) => void): Promise<void> {
  const suffix = `partial-${randomBytes(4).toString('hex')}`;
  const tarball = `${base}/${bundle.id}.tar.gz.${suffix}`;
  const staging = `${bundleDir}.${suffix}`;
  await run(
    ssh,
    [
      shellCommand(['mkdir', '-p', '--', base]),
      // What uploads cut off over an hour ago left behind.
      shellCommand(['find', base, '-maxdepth', '1', '-name', '*.partial-*', '-mmin', '+60', '-exec', 'rm', '-rf', '--', '{}', '+']),
    ],
    'make the bundle folder',
  );
  await new Promise<void>((resolve, reject) => {
    sftp.fastPut(bundle.tarball, tarball, { step: (sent, _chunk, total) => progress({ step: 'upload', sentBytes: sent, totalBytes: total }) }, (error) =>
      error ? reject(new Error(`uploading the agent bundle to ${tarball} failed: ${error.message}`)) : resolve(),
    );
  });
  await run(ssh, [shellCommand(['mkdir', '--', staging]), shellCommand(['tar', '-xzf', tarball, '-C', staging]), shellCommand(['rm', '-f', '--', tarball])], 'unpack the agent bundle');
  const manifest = AgentBundleManifest.parse({ version: bundle.version, sha256: bundle.sha256, files: bundle.files, bytes: bundle.bytes });
  await new Promise<void>((resolve, reject) => {
    sftp.writeFile(`${staging}/manifest.json`, JSON.stringify(manifest), (error) => (error ? reject(new Error(`writing the bundle manifest failed: ${error.message}`)) : resolve()));
  });
  // Only a folder that is there and damaged is moved aside: removing one that was merely absent when
  // checked could remove the whole bundle another app renamed into place a moment later. SFTP's
  // rename never replaces, so a bundle another upload put there first stays.
  if ((await exists(sftp, bundleDir)) && (await installedHash(sftp, bundleDir)) !== bundle.sha256) {
    const damaged = `${bundleDir}.${suffix}-damaged`;
    await ssh.exec(shellCommand(['mv', '-T', '--', bundleDir, damaged]));
    await run(ssh, [shellCommand(['rm', '-rf', '--', damaged])], 'remove a damaged agent bundle');
  }
  const renamed = await new Promise<boolean>((resolve) => sftp.rename(staging, bundleDir, (error) => resolve(!error)));
  if (!renamed) {
    if ((await installedHash(sftp, bundleDir)) !== bundle.sha256) throw new Error(`could not put the agent bundle in place at ${bundleDir}`);
    await run(ssh, [shellCommand(['rm', '-rf', '--', staging])], 'remove a second copy of the agent bundle');
  }
}

async function startRemoteAgent(ssh: SshConnection, bundleDir: string, where: string): Promise<Extract<AgentLaunch, { type: 'agent' }>> {
  const result = await ssh.exec(shellCommand(['node', `${bundleDir}/dist/host/ssh/agent-launcher.js`]));
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let launch: AgentLaunch;
  try {
    launch = AgentLaunch.parse(JSON.parse(line));
  } catch {
    throw new Error(`starting the agent on ${where} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim().slice(-500) || 'no output'}`);
  }
  if (launch.type === 'error') throw new Error(`starting the agent on ${where} failed: ${launch.message}`);
  return launch;
}

async function run(ssh: SshConnection, commands: string[], what: string): Promise<void> {
  const result = await ssh.exec(commands.join(' && '));
  if (result.code !== 0) throw new Error(`could not ${what} on ${describeSshTarget(ssh.target)} (exit ${result.code}): ${result.stderr.trim().slice(-500)}`);
}

function exists(sftp: SFTPWrapper, path: string): Promise<boolean> {
  return new Promise((resolve) => sftp.lstat(path, (error) => resolve(!error)));
}

function realpath(sftp: SFTPWrapper, path: string): Promise<string> {
  return new Promise((resolve, reject) => sftp.realpath(path, (error, absolute) => (error ? reject(new Error(`SFTP cannot resolve the home folder: ${error.message}`)) : resolve(absolute))));
}

/**
 * The agent of a node reached over SSH, as an API connection, with the connection's tunnel for the
 * ring relay; closing it closes the SSH connection too (the agent keeps running there).
 */
export async function connectAgentOverSsh(options: SshPeerOptions): Promise<AgentConnection & { tunnel: NodeTunnel }> {
  const peer = await openSshPeer(options);
  try {
    const connection = await connectAgent({ url: peer.url, token: peer.token, version: options.version });
    return {
      ...connection,
      tunnel: peer.tunnel,
      close: () => {
        connection.close();
        void peer.close();
      },
    };
  } catch (error) {
    await peer.close();
    throw error;
  }
}
