import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Distribution } from '../../shared/distributed.js';
import { TASK_HARDWARE_SAMPLE_MS } from '../../shared/cluster-job.js';
import type { RunConfig } from '../../shared/run-config.js';
import { startAgentServer } from '../agent/agent-server.js';
import { createCliHost } from '../cli/cli-host.js';
import { EXIT } from '../cli/exit-codes.js';
import { peerConnectorFromTokenFile } from '../cli/peer-token-file.js';
import { trainInForeground } from '../cli/train-command.js';
import { createHardwareMonitor } from '../monitor/hardware-monitor.js';
import { packageVersion } from '../package-root.js';
import { refuseLoose } from '../secrets/owner-only-file.js';
import { ClusterRunFolder, type TaskFile } from './cluster-run-folder.js';
import { localSlurm, slurmOutput, type RunSlurmCommand } from './slurm-status.js';

/** One task's place in its job, from the environment srun gives it. */
export interface SlurmTaskPlace {
  jobId: number;
  /** How many times Slurm has requeued the job (SLURM_RESTART_COUNT): each attempt gathers its tasks anew. */
  attempt: number;
  rank: number;
  worldSize: number;
  node: string;
  /** GPU indices Slurm bound to this task; empty without GPUs. */
  gpus: string[];
}

/** How long the first task waits for the others to say where their agents listen. */
const GATHER_TIMEOUT_MS = 5 * 60_000;

export function slurmTaskPlace(env: NodeJS.ProcessEnv): SlurmTaskPlace {
  const integer = (name: string, min: number) => {
    const value = Number(env[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name}: must be set by srun to an integer ≥ ${min} (got ${JSON.stringify(env[name])}); \`cluster task\` runs inside a Slurm job step`);
    return value;
  };
  const worldSize = integer('SLURM_NTASKS', 1);
  const rank = integer('SLURM_PROCID', 0);
  if (rank >= worldSize) throw new Error(`SLURM_PROCID: ${rank} is not below SLURM_NTASKS (${worldSize})`);
  const gpus = (env.SLURM_STEP_GPUS ?? env.CUDA_VISIBLE_DEVICES ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  const attempt = env.SLURM_RESTART_COUNT === undefined ? 0 : integer('SLURM_RESTART_COUNT', 0);
  return { jobId: integer('SLURM_JOB_ID', 1), attempt, rank, worldSize, node: env.SLURMD_NODENAME ?? env.HOSTNAME ?? 'unknown', gpus };
}

/** The address Slurm reaches this node at (its NodeAddr), which the other tasks reach it at too. */
async function nodeAddress(slurm: RunSlurmCommand, node: string): Promise<string> {
  const line = await slurmOutput(slurm, 'scontrol', ['show', 'node', node, '--oneliner']);
  const addr = /\bNodeAddr=(\S+)/.exec(line)?.[1] ?? node;
  return (await lookup(addr, { family: 4 })).address;
}

/**
 * `hpc-studio cluster task`, which srun starts once per task of a cluster run's job. Rank 0 leads:
 * it trains as the run's `local` peer and writes the run's log in the run's folder; every other
 * rank serves the agent API on its node's address, admitting only the job's secret, and the
 * leader starts its trainer there as one peer of the same ring all-reduce peers use. Each task
 * writes where it is (and its node's latest hardware reading) under `tasks/` for the app to show.
 */
export async function runSlurmTask(runDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const folder = new ClusterRunFolder(dirname(runDir), basename(runDir));
  const say = (line: string) => process.stderr.write(`[task ${env.SLURM_PROCID ?? '?'}] ${line}\n`);
  let place: SlurmTaskPlace;
  let address: string;
  const slurm = localSlurm(env);
  try {
    place = slurmTaskPlace(env);
    refuseLoose(folder.secretFile);
    address = await nodeAddress(slurm, place.node);
  } catch (error) {
    say(`error: ${(error as Error).message}`);
    return EXIT.badInput;
  }
  const { spec } = folder.readSpec();
  const me: TaskFile = { jobId: place.jobId, attempt: place.attempt, rank: place.rank, node: place.node, address, gpus: place.gpus, url: null };
  const monitor = createHardwareMonitor(TASK_HARDWARE_SAMPLE_MS, { env });
  monitor.onSample((sample) => folder.writeHardware(place.rank, sample));
  await monitor.start();
  try {
    return place.rank === 0 ? await lead(folder, place, me, spec.config, slurm, say) : await follow(folder, me, say);
  } finally {
    monitor.stop();
  }
}

async function follow(folder: ClusterRunFolder, me: TaskFile, say: (line: string) => void): Promise<number> {
  const host = createCliHost(join(folder.tasksDir, `rank-${me.rank}`));
  const server = await startAgentServer({
    host: me.address,
    port: 0,
    token: readFileSync(folder.secretFile, 'utf8').trim(),
    version: packageVersion(),
    service: host.service,
    log: (line) => say(line),
  });
  folder.writeTask({ ...me, url: `ws://${me.address}:${server.port}` });
  say(`on ${me.node} (${me.address}:${server.port}), waiting for rank 0's trainer`);
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  while (!stop && !existsSync(folder.finishedMarker(me.jobId, me.attempt))) await sleep(500);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  host.service.killPeerTrainers();
  host.service.undeployAll();
  await server.close();
  return EXIT.done;
}

async function lead(
  folder: ClusterRunFolder,
  place: SlurmTaskPlace,
  me: TaskFile,
  config: RunConfig,
  slurm: RunSlurmCommand,
  say: (line: string) => void,
): Promise<number> {
  folder.writeTask(me);
  const peers = await gather(folder, place, say);
  if (peers === null) return EXIT.failed;
  const distribution: Distribution | undefined =
    place.worldSize === 1 ? undefined : { parallel: 'data', peers: ['local', ...peers], interface: me.address };
  const version = packageVersion();
  const host = createCliHost(folder.dir, peerConnectorFromTokenFile(folder.secretFile, version));
  const earlier = folder.entries().find((e) => e.type === 'run');

  let code: number;
  try {
    code = await trainInForeground(host, config, {
      json: false,
      start: async () =>
        earlier?.type === 'run'
          ? { runId: await host.supervisor.resume(earlier.runId, distribution) }
          : host.service.startRun({ config: { ...config, distribution } }),
      onRunId: (runId) => {
        if (!earlier) folder.append({ type: 'run', jobId: place.jobId, time: Date.now(), runId });
      },
    });
  } finally {
    writeFileSync(folder.finishedMarker(place.jobId, place.attempt), '');
  }
  const ended = (state: string, reason: string) => folder.append({ type: 'ended', jobId: place.jobId, time: Date.now(), state, reason });
  if (code === EXIT.done) ended('COMPLETED', 'None');
  else if (code === EXIT.failed) ended('FAILED', 'TrainingFailed');
  else if (code === EXIT.interrupted) {
    // A job preempted with a grace time that stops in it ends by its own exit, which Slurm then
    // calls FAILED; only its PreemptTime says what happened.
    const preempted = await preemptedAt(slurm, place.jobId);
    if (preempted) {
      say(`Slurm preempted the job at ${preempted}; its checkpoint is kept`);
      ended('PREEMPTED', 'Preempted');
    }
  }
  return code;
}

async function preemptedAt(slurm: RunSlurmCommand, jobId: number): Promise<string | null> {
  try {
    const at = /\bPreemptTime=(\S+)/.exec(await slurmOutput(slurm, 'scontrol', ['show', 'job', String(jobId), '--oneliner']))?.[1];
    return at === undefined || at === 'None' ? null : at;
  } catch {
    return null;
  }
}

/** The agents of ranks 1…N−1 of this job, in rank order, once each has said where it listens. */
async function gather(folder: ClusterRunFolder, place: SlurmTaskPlace, say: (line: string) => void): Promise<string[] | null> {
  if (place.worldSize === 1) return [];
  const deadline = Date.now() + GATHER_TIMEOUT_MS;
  for (;;) {
    const ready = folder.tasks(place.jobId, place.attempt).filter((t) => t.rank > 0 && t.url !== null);
    if (ready.length === place.worldSize - 1) {
      say(`${place.worldSize} tasks: ${folder.tasks(place.jobId, place.attempt).map((t) => `${t.rank}@${t.node}`).join(', ')}`);
      return ready.map((t) => t.url!);
    }
    if (Date.now() > deadline) {
      const missing = Array.from({ length: place.worldSize - 1 }, (_, i) => i + 1).filter((r) => !ready.some((t) => t.rank === r));
      say(`error: tasks ${missing.join(', ')} did not start within ${GATHER_TIMEOUT_MS / 60_000} minutes`);
      return null;
    }
    await sleep(300);
  }
}
