import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { defaultDataDir } from '../data-dir.js';
import { localClusterAccess, type ClusterAccess } from '../cluster/cluster-access.js';
import { CLUSTER_RUNS_DIR } from '../cluster/cluster-run-folder.js';
import { SlurmJobs } from '../cluster/slurm-jobs.js';
import { localSlurm } from '../cluster/slurm-status.js';
import { packageVersion } from '../package-root.js';
import { describeSshTarget, parseSshTarget, SshTargetError, type SshTarget } from '../../shared/ssh-target.js';
import { BadInput } from './bad-input.js';
import { ByteProgress } from './byte-progress.js';
import { cliCommand } from './cli-host.js';

export interface ClusterTargetFlags {
  local?: boolean;
  /** `USER@HOST[:PORT]` of a login node, as typed. */
  ssh?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHost?: boolean;
  dataDir?: string;
}

/** Which cluster a `cluster` subcommand is about, and where this machine keeps its cluster runs. */
export function addClusterTargetOptions(command: Command): Command {
  return command
    .addOption(new Option('--local', "the cluster this machine is a login node of, found as Slurm's commands find it (SLURM_CONF or the default slurm.conf); the default").conflicts('ssh'))
    .addOption(
      new Option(
        '--ssh <user@host[:port]>',
        "a cluster's login node over SSH (port default 22): the app's agent there runs Slurm's commands as your own login finds them",
      ).conflicts('local'),
    )
    .option('--identity <file>', '--ssh: the private key to log in with (default: the keys of your ssh-agent, SSH_AUTH_SOCK)')
    .option('--known-hosts <file>', '--ssh: the known_hosts file to check the host key against (default ~/.ssh/known_hosts)')
    .option('--accept-new-host', '--ssh: trust a login node not yet in known_hosts without asking (prints its fingerprint); a changed key is always refused')
    .option('--data-dir <dir>', "where cluster runs are kept, on the filesystem the cluster's nodes share (env HPC_STUDIO_DATA_DIR); with --ssh, the agent bundle's cache");
}

/**
 * `--ssh` as the login node's target: `USER@HOST[:PORT]` checked as every `ssh://` target is
 * (nothing a shell or an option parser could read as more than a name). Throws BadInput naming the flag.
 */
export function sshFlagTarget(value: string): SshTarget {
  try {
    if (value.startsWith('ssh://')) return parseSshTarget(value);
    return parseSshTarget(`ssh://${value}`);
  } catch (error) {
    if (!(error instanceof SshTargetError)) throw error;
    // The target and missing-user messages would quote the ssh:// added here; the others quote only the field.
    const why = error.field === 'target' ? `got ${JSON.stringify(value)}` : !value.includes('@') ? `user: missing, got ${JSON.stringify(value)}` : error.message;
    throw new BadInput('ssh', `--ssh: must be USER@HOST[:PORT] (port default 22, an IPv6 host in brackets); ${why}`);
  }
}

/** The cluster the flags name; `close` ends the SSH connection (the agent stays up on the login node for the next command). */
export async function clusterFromFlags(flags: ClusterTargetFlags): Promise<{ cluster: ClusterAccess; close: () => void }> {
  const dataDir = flags.dataDir ?? defaultDataDir();
  if (flags.ssh !== undefined) return loginNodeCluster(sshFlagTarget(flags.ssh), flags, dataDir);
  const slurm = localSlurm();
  const jobs = new SlurmJobs({ root: join(dataDir, CLUSTER_RUNS_DIR), slurm, cliCommand: cliCommand(), version: packageVersion() });
  return { cluster: localClusterAccess(slurm, jobs), close: () => {} };
}

/**
 * Through the app's agent on the login node, reached as `ssh://` peers are, on the first call (so
 * its failure is that call's error); loaded on use: ssh2 costs `--local` nothing.
 */
async function loginNodeCluster(target: SshTarget, flags: ClusterTargetFlags, dataDir: string): Promise<{ cluster: ClusterAccess; close: () => void }> {
  const [{ connectAgentOverSsh }, { askPassphraseOnTerminal, confirmOnTerminal }, { LoginNodeLink }] = await Promise.all([
    import('../ssh/remote-agent.js'),
    import('./ssh-prompts.js'),
    import('../cluster/cluster-gateway.js'),
  ]);
  const where = describeSshTarget(target);
  const link = new LoginNodeLink(`ssh://${where}`, () => {
    const upload = new ByteProgress(`uploading the agent bundle to ${where}`);
    return connectAgentOverSsh({
      target,
      identityFile: flags.identity,
      passphrase: askPassphraseOnTerminal,
      knownHostsFile: flags.knownHosts,
      confirmUnknownHost: confirmOnTerminal(flags.acceptNewHost ?? false),
      version: packageVersion(),
      bundleCacheDir: join(dataDir, 'agent-bundles'),
      onProgress: (progress) => {
        if (progress.step === 'upload') upload.update(progress.sentBytes, progress.totalBytes);
      },
    }).finally(() => upload.stop());
  });
  return { cluster: link.access, close: () => link.close() };
}
