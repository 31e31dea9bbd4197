import type { Command } from 'commander';
import type { ClusterStatus } from '../../shared/cluster-status.js';
import { BadInput } from './bad-input.js';
import { addClusterTargetOptions, clusterFromFlags, type ClusterTargetFlags } from './cluster-target-flags.js';
import { EXIT } from './exit-codes.js';
import { table } from './text-table.js';

/** `hpc-studio cluster status`: the Slurm cluster this machine belongs to (a login node), as tables or one JSON object. */
export function addClusterCommand(program: Command, done: (code: number) => void): void {
  const cluster = program.command('cluster').description('a Slurm cluster: its partitions, nodes and jobs');
  addClusterTargetOptions(
    cluster.command('status').description("partitions, nodes (state, CPUs, GPUs, memory, load) and jobs (yours first, with why they wait), read from Slurm's own commands"),
  )
    .option('--json', 'one JSON object on stdout: {slurmVersion, partitions, nodes, jobs}', false)
    .action(async (opts: ClusterTargetFlags & { json: boolean }) => done(await statusCommand(opts)));
}

async function statusCommand(options: ClusterTargetFlags & { json: boolean }): Promise<number> {
  let status: ClusterStatus;
  try {
    const { cluster, close } = await clusterFromFlags(options);
    let result;
    try {
      result = await cluster.getClusterStatus({});
    } finally {
      close();
    }
    if (result.kind === 'unavailable') {
      process.stderr.write(`error: no Slurm cluster reachable: ${result.message}\n`);
      return EXIT.failed;
    }
    status = result.status;
  } catch (error) {
    process.stderr.write(`error: ${error instanceof BadInput ? '' : 'reading the cluster failed: '}${(error as Error).message}\n`);
    return error instanceof BadInput ? EXIT.badInput : EXIT.failed;
  }
  if (options.json) {
    process.stdout.write(JSON.stringify(status) + '\n');
    return EXIT.done;
  }
  process.stdout.write(`Slurm ${status.slurmVersion}\n\n`);
  process.stdout.write(table([['PARTITION', 'STATE', 'NODES'], ...status.partitions.map((p) => [`${p.name}${p.default ? '*' : ''}`, p.state, p.nodes.join(',')])]) + '\n');
  process.stdout.write(
    table([
      ['NODE', 'STATE', 'CPUS', 'MEMORY', 'GPUS', 'LOAD', 'PARTITIONS'],
      ...status.nodes.map((n) => [n.name, n.state, String(n.cpus), `${(n.memoryMB / 1024).toFixed(1)} GiB`, String(n.gpus), n.load === null ? '–' : n.load.toFixed(2), n.partitions.join(',')]),
    ]) + '\n',
  );
  process.stdout.write(
    status.jobs.length === 0
      ? 'no jobs\n'
      : table([['JOB', 'NAME', 'USER', 'STATE', 'REASON', 'PARTITION', 'NODES'], ...status.jobs.map((j) => [String(j.id), j.name, j.user, j.state, j.reason, j.partition, j.nodes || '–'])]),
  );
  return EXIT.done;
}
