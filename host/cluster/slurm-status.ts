import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import type { ClusterStatus } from '../../shared/cluster-status.js';
import { declaredRelease, jobsFromSqueue, nodesFromSinfo, partitionsFromScontrol } from './slurm-output.js';

export type SlurmCommand = 'sinfo' | 'squeue' | 'scontrol' | 'sbatch' | 'scancel';

export interface SlurmCommandResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when the command could not be started. */
  code: number | null;
  /** The command is not installed (not on the PATH). */
  missing: boolean;
}

/** Runs one Slurm command with an argv vector (never a shell), here or on a login node. */
export type RunSlurmCommand = (command: SlurmCommand, args: readonly string[]) => Promise<SlurmCommandResult>;

/** Why no status could be read: Slurm's commands are not here, or its controller does not answer. */
export class SlurmUnavailable extends Error {
  override readonly name = 'SlurmUnavailable';

  constructor(
    readonly kind: 'missing' | 'controller',
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

/** Slurm's commands on this machine, finding the cluster as they do themselves (SLURM_CONF, or the default config). */
export function localSlurm(env: NodeJS.ProcessEnv = process.env): RunSlurmCommand {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(command, [...args], { env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ stdout, stderr, code, missing: (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' });
      });
    });
}

/** Partitions, nodes and jobs (this user's first), from `sinfo --json`, `squeue --json` and `scontrol show partition`. */
export async function readClusterStatus(run: RunSlurmCommand, user: string = userInfo().username): Promise<ClusterStatus> {
  const [sinfo, squeue, scontrol] = await Promise.all([
    slurmOutput(run, 'sinfo', ['--json']),
    slurmOutput(run, 'squeue', ['--json']),
    slurmOutput(run, 'scontrol', ['show', 'partition', '--oneliner']),
  ]);
  const nodesJson = parseJson(sinfo, 'sinfo --json');
  const jobs = jobsFromSqueue(parseJson(squeue, 'squeue --json'));
  const mine = (job: { user: string }) => (job.user === user ? 0 : 1);
  return {
    slurmVersion: declaredRelease(nodesJson, 'sinfo').release,
    partitions: partitionsFromScontrol(scontrol),
    nodes: nodesFromSinfo(nodesJson),
    jobs: jobs.sort((a, b) => mine(a) - mine(b) || a.id - b.id),
  };
}

/** One Slurm command's stdout; its failure as SlurmUnavailable (not installed, no controller) or an Error with its own words. */
export async function slurmOutput(run: RunSlurmCommand, name: SlurmCommand, args: string[]): Promise<string> {
  const result = await run(name, args);
  if (result.missing) {
    throw new SlurmUnavailable('missing', `Slurm's commands are not installed here: \`${name}\` is not on the PATH (install Slurm's client commands, or connect to a login node)`);
  }
  if (result.code === 0) return result.stdout;
  const said = result.stderr.trim().split('\n').filter(Boolean);
  // The fatal line says what stopped it; the errors before it are often lookups it tried first.
  const why = said.find((line) => /fatal/i.test(line)) ?? said.at(-1) ?? `exit code ${result.code}`;
  if (/contact slurm controller|configuration source|Connection refused|Unable to establish|Zero Bytes were transmitted/i.test(result.stderr)) {
    throw new SlurmUnavailable('controller', `the Slurm controller does not answer (\`${name}\`: ${why}); check that slurmctld runs and SLURM_CONF points at its slurm.conf`);
  }
  throw new Error(`\`${name} ${args.join(' ')}\` failed: ${why}`);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} printed no JSON: Slurm 22.05 or later is needed (its first line: ${JSON.stringify(text.split('\n')[0]?.slice(0, 120) ?? '')})`);
  }
}
