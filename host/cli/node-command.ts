import { join } from 'node:path';
import { SshNodeReport } from '../../shared/remote-agent-protocol.js';
import { connectAgent, measureLatency } from '../agent/agent-client.js';
import { packageVersion } from '../package-root.js';
import { HostKeyRefused, type ConfirmUnknownHost } from '../ssh/known-hosts.js';
import { openSshPeer } from '../ssh/remote-agent.js';
import { describeSshTarget, parseSshTarget, SshTargetError } from '../../shared/ssh-target.js';
import { ByteProgress } from './byte-progress.js';
import { EXIT } from './exit-codes.js';
import { askHiddenOnTerminal, askOnTerminal } from './terminal-prompts.js';

export interface NodeOptions {
  target: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHost: boolean;
  json: boolean;
  dataDir: string;
}

/** `hpc-studio node ssh://user@host[:port]`: reaches a node's agent over SSH (uploading and starting it as needed) and shows what the node has. */
export async function nodeCommand(options: NodeOptions): Promise<number> {
  const fail = (code: number, message: string, field?: string) => {
    if (options.json) process.stdout.write(`${JSON.stringify({ type: 'error', ...(field ? { field } : {}), message })}\n`);
    process.stderr.write(`error: ${message}\n`);
    return code;
  };
  let target;
  try {
    target = parseSshTarget(options.target);
  } catch (error) {
    if (error instanceof SshTargetError) return fail(EXIT.badInput, error.message, error.field);
    throw error;
  }
  const version = packageVersion();
  const upload = new ByteProgress('uploading the agent bundle');
  let peer;
  try {
    peer = await openSshPeer({
      target,
      identityFile: options.identity,
      passphrase: async (file) => {
        if (!process.stdin.isTTY) throw new Error(`identity file ${file}: it is encrypted; run on a terminal to type its passphrase, or load it into ssh-agent`);
        return askHiddenOnTerminal(`passphrase for ${file}: `);
      },
      knownHostsFile: options.knownHosts,
      confirmUnknownHost: confirmOnTerminal(options.acceptNewHost),
      version,
      bundleCacheDir: join(options.dataDir, 'agent-bundles'),
      onProgress: (progress) => {
        if (progress.step === 'upload') upload.update(progress.sentBytes, progress.totalBytes);
      },
    });
  } catch (error) {
    return fail(EXIT.failed, error instanceof Error ? error.message : String(error));
  } finally {
    upload.stop();
  }
  try {
    const agent = await connectAgent({ url: peer.url, token: peer.token, version });
    try {
      const report = SshNodeReport.parse({
        type: 'node',
        target: describeSshTarget(target),
        ...peer.node,
        latencyMs: await measureLatency(agent.client),
        peer: await agent.client.api.describePeer({}),
      });
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describe(report));
      return EXIT.done;
    } finally {
      agent.close();
    }
  } catch (error) {
    return fail(EXIT.failed, error instanceof Error ? error.message : String(error));
  } finally {
    await peer.close();
  }
}

/** As `ssh` asks, on the terminal; without one, only `--accept-new-host` trusts a new host. */
function confirmOnTerminal(acceptNewHost: boolean): ConfirmUnknownHost {
  return async ({ host, port, fingerprint, keyType }) => {
    const at = port === 22 ? host : `[${host}]:${port}`;
    if (acceptNewHost) {
      process.stderr.write(`warning: trusting the new host ${at}, ${keyType} key ${fingerprint} (--accept-new-host); added to known_hosts\n`);
      return true;
    }
    if (!process.stdin.isTTY) {
      throw new HostKeyRefused(
        'declined',
        `${at} is not in known_hosts (its ${keyType} key is ${fingerprint}); check that fingerprint with the node's administrator, then run on a terminal to accept it, or pass --accept-new-host`,
      );
    }
    const answer = await askOnTerminal(`The authenticity of host '${at}' can't be established.\n${keyType} key fingerprint is ${fingerprint}.\nTrust it and add it to known_hosts (yes/no)? `);
    return /^y(es)?$/i.test(answer.trim());
  };
}

function describe(report: SshNodeReport): string {
  const { peer } = report;
  const backend = peer.backend ? peer.backend.name : `none (${peer.backendProblem ?? 'unknown'})`;
  return [
    `${report.target}: HPC Studio ${peer.version} agent, pid ${report.agentPid}, on the node's loopback port ${report.agentPort} (${report.reusedAgent ? 'already running' : 'started'})`,
    `  bundle: ${report.bundleDir} (${report.uploaded ? 'uploaded now' : 'already there'})`,
    `  ${peer.hostname}: ${peer.platform}/${peer.arch}, ${peer.cpus} CPUs (${peer.cpuModel}), ${(peer.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${peer.nodeVersion}`,
    `  trainer backend: ${backend}`,
    `  API round trip over SSH: ${report.latencyMs.toFixed(1)} ms`,
    '',
  ].join('\n');
}
