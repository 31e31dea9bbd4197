import type { ClusterJobSpec } from '../../shared/cluster-job.js';
import { shellCommand } from '../ssh/shell-quote.js';

export interface BatchScriptInput {
  spec: ClusterJobSpec;
  clusterRunId: string;
  /** Slurm's `--output` pattern, in the run's folder. */
  output: string;
  /** The command that runs one task: `node …/hpc-studio cluster task --run-dir …`. */
  task: readonly string[];
  version: string;
}

/**
 * `#SBATCH` lines are read by sbatch itself, not a shell: it splits them on blanks and takes a
 * double-quoted value whole, but has no escapes. A path is written there in double quotes, so
 * a blank is fine (`~/.config/HPC Studio`); a quote, `$`, `%` (a pattern of `--output`), a
 * backslash or a newline cannot be written safely and is refused.
 */
const DIRECTIVE_SAFE_PATH = /^[A-Za-z0-9 _./+,:@~=()-]+$/;

export class UnsafeClusterPath extends Error {
  override readonly name = 'UnsafeClusterPath';
}

/**
 * The batch script sbatch runs: the job's size and limits as directives, then one `srun` that
 * starts a trainer per task. The names in it were checked by the spec's schema; the task's words
 * are each single-quoted for the shell that runs the script.
 */
export function batchScript({ spec, clusterRunId, output, task, version }: BatchScriptInput): string {
  const outputPath = output.replace('%j', '');
  if (!DIRECTIVE_SAFE_PATH.test(outputPath)) {
    throw new UnsafeClusterPath(
      `the cluster run folder ${JSON.stringify(output)} cannot go in an #SBATCH line (only letters, digits, blanks and _ . / + , : @ ~ = ( ) -): pick a data directory without quotes, $, % or backslashes`,
    );
  }
  const directive = (option: string, value: string | number | undefined) => (value === undefined ? [] : [`#SBATCH --${option}=${value}`]);
  return [
    '#!/bin/sh',
    `# HPC Studio ${version}: cluster run ${clusterRunId}, ${spec.config.model} on ${spec.config.dataset.kind}.`,
    ...directive('job-name', spec.name),
    ...directive('partition', spec.partition),
    ...directive('account', spec.account),
    ...directive('nodes', spec.nodes),
    ...directive('ntasks-per-node', spec.tasksPerNode),
    ...directive('gpus-per-node', spec.gpusPerNode > 0 ? spec.gpusPerNode : undefined),
    ...directive('time', spec.timeLimitMin),
    ...directive('chdir', `"${outputPath.slice(0, outputPath.lastIndexOf('/')) || '/'}"`),
    ...directive('output', `"${output}"`),
    // A requeued job writes on after its first attempt's lines.
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    '',
    '# One trainer per task; each finds its rank, the world size and the first task (which leads the',
    "# ring and writes the run's log) in Slurm's environment. Once one task ends badly, srun ends them all.",
    `exec srun --kill-on-bad-exit=1 --wait=120 ${shellCommand(task)}`,
    '',
  ].join('\n');
}
