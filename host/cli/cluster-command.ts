import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CLUSTER_LIMITS, ClusterJobSpec, ENDED_JOB_STATES, type ClusterRun } from '../../shared/cluster-job.js';
import type { ClusterStatus } from '../../shared/cluster-status.js';
import { fieldErrors, type FieldError } from '../../shared/field-error.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { ClusterAccess } from '../cluster/cluster-access.js';
import { runSlurmTask } from '../cluster/slurm-task.js';
import { BadInput } from './bad-input.js';
import { addClusterTargetOptions, clusterFromFlags, type ClusterTargetFlags } from './cluster-target-flags.js';
import { configFromFlags, type TrainFlags } from './config-from-flags.js';
import { EXIT } from './exit-codes.js';
import { addRunConfigOptions } from './run-config-options.js';
import { table } from './text-table.js';

interface Output {
  json: boolean;
}

/** `hpc-studio cluster …`: a Slurm cluster's partitions, nodes and jobs, and training runs submitted to it. */
export function addClusterCommand(program: Command, done: (code: number) => void): void {
  const cluster = program.command('cluster').description('a Slurm cluster: its partitions, nodes and jobs, and training runs as jobs on it');
  addClusterTargetOptions(
    cluster
      .command('status')
      .description("partitions, nodes (state, CPUs, GPUs, memory, load) and jobs (yours first, with why they wait), read from Slurm's own commands")
      .option('--json', 'one JSON object on stdout: {slurmVersion, partitions, nodes, jobs}', false),
  ).action((opts: ClusterTargetFlags & Output) => withCluster(opts, done, (c) => statusCommand(c, opts)));

  addClusterTargetOptions(
    addRunConfigOptions(
      cluster
        .command('submit')
        .description('train one run as a Slurm job: one trainer per task, their gradients averaged over the ring all-reduce peers use')
        .requiredOption('--name <name>', "the job's name: 1–64 letters, digits, '.', '_' or '-'")
        .option('--partition <name>', "the partition (default: the cluster's default)")
        .option('--account <name>', 'the account to charge')
        .option('--nodes <n>', `${CLUSTER_LIMITS.nodes.min}–${CLUSTER_LIMITS.nodes.max} (default 1)`, '1')
        .option('--tasks-per-node <n>', `trainers per node, ${CLUSTER_LIMITS.tasksPerNode.min}–${CLUSTER_LIMITS.tasksPerNode.max} (default 1)`, '1')
        .option('--gpus-per-node <n>', `${CLUSTER_LIMITS.gpusPerNode.min}–${CLUSTER_LIMITS.gpusPerNode.max} (default 0)`, '0')
        .option('--time <minutes>', `the time limit in minutes, ${CLUSTER_LIMITS.timeLimitMin.min}–${CLUSTER_LIMITS.timeLimitMin.max} (default 60)`, '60'),
    )
      .option('--dry-run', 'print the batch script and submit nothing')
      .option('--save-script <file>', 'also write the batch script to FILE')
      .option('--json', 'print the submitted run as one JSON object', false),
  ).action((opts: SubmitFlags) => withCluster(opts, done, (c) => submitCommand(c, opts)));

  addClusterTargetOptions(
    cluster.command('runs').description('the training runs submitted to the cluster, newest first, with their jobs\' state').option('--json', 'a JSON array', false),
  ).action((opts: ClusterTargetFlags & Output) => withCluster(opts, done, (c) => runsCommand(c, opts)));

  addClusterTargetOptions(
    cluster
      .command('logs <run>')
      .description("a run's job output (stdout and stderr); RUN is a cluster run's name or a Slurm job id")
      .option('--follow', 'keep printing until the job ends', false),
  ).action((run: string, opts: ClusterTargetFlags & { follow: boolean }) => withCluster(opts, done, (c) => logsCommand(c, run, opts.follow)));

  for (const [verb, description] of [
    ['cancel', "scancel the run's job; its last checkpoint is kept, so it can be resumed"],
    ['requeue', "scontrol requeue the run's job: Slurm runs it again, from the last checkpoint"],
    ['resume', 'a new job that continues an ended run (time limit, preemption, cancel) from its last checkpoint'],
  ] as const) {
    addClusterTargetOptions(cluster.command(`${verb} <run>`).description(`${description}; RUN is a cluster run's name or a Slurm job id`).option('--json', 'print the run as one JSON object', false)).action(
      (run: string, opts: ClusterTargetFlags & Output) => withCluster(opts, done, (c) => actCommand(c, verb, run, opts)),
    );
  }

  cluster
    .command('task', { hidden: true })
    .description("one task of a cluster run's job, as srun starts it")
    .requiredOption('--run-dir <dir>', "the cluster run's folder")
    .action(async (opts: { runDir: string }) => done(await runSlurmTask(opts.runDir)));
}

async function withCluster(flags: ClusterTargetFlags, done: (code: number) => void, body: (cluster: ClusterAccess) => Promise<number>): Promise<void> {
  let opened;
  try {
    opened = await clusterFromFlags(flags);
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return done(EXIT.badInput);
  }
  try {
    done(await body(opened.cluster));
  } catch (error) {
    const fields = error instanceof ApiError ? (error.error.fields ?? []) : [];
    for (const f of fields) process.stderr.write(`error: ${f.message}\n`);
    if (fields.length === 0) process.stderr.write(`error: ${(error as Error).message}\n`);
    done(error instanceof ApiError && (error.error.code === 'invalid' || error.error.code === 'not-found' || error.error.code === 'conflict') ? EXIT.badInput : EXIT.failed);
  } finally {
    opened.close();
  }
}

async function statusCommand(cluster: ClusterAccess, options: Output): Promise<number> {
  const result = await cluster.getClusterStatus({});
  if (result.kind === 'unavailable') {
    process.stderr.write(`error: no Slurm cluster reachable: ${result.message}\n`);
    return EXIT.failed;
  }
  const status: ClusterStatus = result.status;
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
      : table([
          ['JOB', 'NAME', 'USER', 'STATE', 'REASON', 'PARTITION', 'NODES'],
          ...status.jobs.map((j) => [String(j.id), j.name, j.user, j.state, waits(j.reason, j.position), j.partition, j.nodes || '–']),
        ]),
  );
  return EXIT.done;
}

interface SubmitFlags extends TrainFlags, ClusterTargetFlags, Output {
  name: string;
  partition?: string;
  account?: string;
  nodes: string;
  tasksPerNode: string;
  gpusPerNode: string;
  time: string;
  dryRun?: boolean;
  saveScript?: string;
}

/** The spec's fields as the flags that set them, so an error names what the user typed. */
const SPEC_FLAG: Record<string, string> = {
  name: '--name',
  partition: '--partition',
  account: '--account',
  nodes: '--nodes',
  tasksPerNode: '--tasks-per-node',
  gpusPerNode: '--gpus-per-node',
  timeLimitMin: '--time',
};

async function submitCommand(cluster: ClusterAccess, flags: SubmitFlags): Promise<number> {
  const checked = configFromFlags(flags);
  const errors: FieldError[] = checked.ok ? [] : checked.errors;
  const strictInt = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : NaN);
  const parsed = ClusterJobSpec.safeParse({
    name: flags.name,
    partition: flags.partition,
    account: flags.account,
    nodes: strictInt(flags.nodes),
    tasksPerNode: strictInt(flags.tasksPerNode),
    gpusPerNode: strictInt(flags.gpusPerNode),
    timeLimitMin: strictInt(flags.time),
    // A config that failed its own checks was reported above by its flags.
    config: checked.ok ? checked.config : undefined,
  });
  if (!parsed.success) {
    for (const e of fieldErrors(parsed.error)) {
      const flag = SPEC_FLAG[e.field];
      if (flag) errors.push({ field: flag, message: `${flag}: ${e.message.slice(e.message.indexOf(': ') + 2)}` });
    }
  }
  if (errors.length > 0 || !parsed.success) {
    for (const e of errors) process.stderr.write(`error: ${e.message}\n`);
    return EXIT.badInput;
  }
  const preview = await cluster.previewClusterJob({ spec: parsed.data });
  if (flags.saveScript) writeFileSync(flags.saveScript, preview.script);
  if (flags.dryRun) {
    process.stdout.write(preview.script);
    return EXIT.done;
  }
  const run = await cluster.submitClusterJob({ spec: parsed.data, clusterRunId: preview.clusterRunId });
  if (flags.json) process.stdout.write(JSON.stringify(run) + '\n');
  else {
    const job = run.jobs.at(-1)!;
    process.stdout.write(`submitted job ${job.jobId} (${job.state.toLowerCase()}): cluster run ${run.id}\n`);
    process.stderr.write(`follow it: hpc-studio cluster logs ${run.id} --follow\n`);
  }
  return EXIT.done;
}

async function runsCommand(cluster: ClusterAccess, options: Output): Promise<number> {
  const runs = await cluster.listClusterRuns({});
  if (options.json) {
    process.stdout.write(JSON.stringify(runs) + '\n');
    return EXIT.done;
  }
  if (runs.length === 0) {
    process.stdout.write('no cluster runs\n');
    return EXIT.done;
  }
  process.stdout.write(
    table([
      ['RUN', 'JOB', 'STATE', 'REASON', 'NODES', 'TASKS', 'MODEL', 'RESUMABLE'],
      ...runs.map((r) => {
        const job = r.jobs.at(-1)!;
        const tasks = r.tasks.map((t) => `${t.rank}@${t.node}${t.gpus.length ? `:gpu${t.gpus.join('+')}` : ''}`).join(' ');
        return [r.id, String(job.jobId), job.state.toLowerCase(), waits(job.reason, job.position), job.nodes || '–', tasks || `${r.spec.nodes * r.spec.tasksPerNode}`, r.spec.config.model, r.resumable ? 'yes' : 'no'];
      }),
    ]),
  );
  return EXIT.done;
}

/** Finds a run by its name, or by the id of any of its jobs. */
async function findRun(cluster: ClusterAccess, name: string): Promise<ClusterRun> {
  const runs = await cluster.listClusterRuns({});
  const run = /^\d+$/.test(name) ? runs.find((r) => r.jobs.some((j) => j.jobId === Number(name))) : runs.find((r) => r.id === name);
  if (!run) throw new ApiError({ code: 'not-found', message: `run: no cluster run ${/^\d+$/.test(name) ? 'has job' : 'is named'} ${name} (see \`hpc-studio cluster runs\`)` });
  return run;
}

async function logsCommand(cluster: ClusterAccess, name: string, follow: boolean): Promise<number> {
  const run = await findRun(cluster, name);
  const jobId = /^\d+$/.test(name) ? Number(name) : undefined;
  let offset = 0;
  for (;;) {
    const chunk = await cluster.readClusterJobOutput({ clusterRunId: run.id, jobId, offset });
    process.stdout.write(chunk.text);
    offset = chunk.nextOffset;
    if (chunk.nextOffset < chunk.size) continue;
    if (!follow) return EXIT.done;
    const now = (await cluster.listClusterRuns({})).find((r) => r.id === run.id)!;
    const job = jobId === undefined ? now.jobs.at(-1)! : now.jobs.find((j) => j.jobId === jobId)!;
    if ((ENDED_JOB_STATES as readonly string[]).includes(job.state) || job.state === 'UNKNOWN') {
      const rest = await cluster.readClusterJobOutput({ clusterRunId: run.id, jobId, offset });
      process.stdout.write(rest.text);
      process.stderr.write(`job ${job.jobId} ${job.state.toLowerCase()}${job.reason !== 'None' ? ` (${job.reason})` : ''}\n`);
      return job.state === 'COMPLETED' ? EXIT.done : EXIT.failed;
    }
    await sleep(2000);
  }
}

async function actCommand(cluster: ClusterAccess, verb: 'cancel' | 'requeue' | 'resume', name: string, options: Output): Promise<number> {
  const { id } = await findRun(cluster, name);
  const run =
    verb === 'cancel' ? await cluster.cancelClusterJob({ clusterRunId: id })
    : verb === 'requeue' ? await cluster.requeueClusterJob({ clusterRunId: id })
    : await cluster.resumeClusterRun({ clusterRunId: id });
  const job = run.jobs.at(-1)!;
  if (options.json) process.stdout.write(JSON.stringify(run) + '\n');
  else process.stdout.write(`${{ cancel: 'cancelled', requeue: 'requeued', resume: 'submitted' }[verb]} job ${job.jobId} of ${run.id}: ${job.state.toLowerCase()}\n`);
  return EXIT.done;
}

/** Why a job waits, with its place in the queue. */
function waits(reason: string, position: number | null): string {
  return position === null ? reason : `${reason} (#${position} in queue)`;
}
