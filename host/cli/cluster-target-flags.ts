import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from '../data-dir.js';
import { localClusterAccess, type ClusterAccess } from '../cluster/cluster-access.js';
import { CLUSTER_RUNS_DIR } from '../cluster/cluster-run-folder.js';
import { SlurmJobs } from '../cluster/slurm-jobs.js';
import { localSlurm } from '../cluster/slurm-status.js';
import { packageVersion } from '../package-root.js';
import { cliCommand } from './cli-host.js';

export interface ClusterTargetFlags {
  local?: boolean;
  dataDir?: string;
}

/** Which cluster a `cluster` subcommand is about, and where this machine keeps its cluster runs. */
export function addClusterTargetOptions(command: Command): Command {
  return command
    .option('--local', "the cluster this machine is a login node of, found as Slurm's commands find it (SLURM_CONF or the default slurm.conf); the default")
    .option('--data-dir <dir>', 'where cluster runs are kept, on the filesystem the cluster\'s nodes share (env HPC_STUDIO_DATA_DIR)');
}

/** The cluster the flags name. */
export async function clusterFromFlags(flags: ClusterTargetFlags): Promise<{ cluster: ClusterAccess; close: () => void }> {
  const dataDir = flags.dataDir ?? defaultDataDir();
  const slurm = localSlurm();
  const jobs = new SlurmJobs({ root: join(dataDir, CLUSTER_RUNS_DIR), slurm, cliCommand: cliCommand(), version: packageVersion() });
  return { cluster: localClusterAccess(slurm, jobs), close: () => {} };
}
