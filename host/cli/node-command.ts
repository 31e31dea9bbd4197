import { join } from 'node:path';
import { SshNodeReport } from '../../shared/remote-agent-protocol.js';
import { connectAgent, measureLatency } from '../agent/agent-client.js';
import { packageVersion } from '../package-root.js';
import { openSshPeer } from '../ssh/remote-agent.js';
import { describeSshTarget, parseSshTarget, SshTargetError } from '../../shared/ssh-target.js';
import { ByteProgress } from './byte-progress.js';
import { EXIT } from './exit-codes.js';
import { askPassphraseOnTerminal, confirmOnTerminal } from './ssh-prompts.js';

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
      passphrase: askPassphraseOnTerminal,
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
