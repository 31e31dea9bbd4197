import { z } from 'zod';
import { MAX_PEERS } from './distributed.js';
import { HardwareSample } from './hardware-sample.js';
import { integerIn } from './integer-range.js';
import { SshUrl } from './peer-status.js';
import { RunConfig } from './run-config.js';

/**
 * Which cluster a Cluster panel or `hpc-studio cluster --local|--ssh` talks to: the one this
 * machine is a login node of, or one reached over SSH, where the app's agent runs Slurm's commands.
 */
export const ClusterTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }),
  z.object({ kind: z.literal('ssh'), url: SshUrl, identityFile: z.string().min(1).max(4096).optional() }),
]);
export type ClusterTarget = z.infer<typeof ClusterTarget>;
export const LOCAL_CLUSTER: ClusterTarget = { kind: 'local' };

const SLURM_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
/**
 * Names that end up in `#SBATCH` lines and Slurm's argv. Letters, digits, `.`, `_`, `-`, not
 * starting with `-`: nothing a shell, sbatch's directive parser or an option parser reads as
 * more than a name (no newline, no `--wrap=`).
 */
const slurmName = (what: string) =>
  z.string({ error: `must be a ${what}: 1–64 letters, digits, '.', '_' or '-', not starting with '-' or '.'` }).regex(SLURM_NAME_PATTERN, {
    error: `must be a ${what}: 1–64 letters, digits, '.', '_' or '-', not starting with '-' or '.'`,
  });

export const CLUSTER_LIMITS = {
  nodes: { min: 1, max: MAX_PEERS },
  tasksPerNode: { min: 1, max: MAX_PEERS },
  gpusPerNode: { min: 0, max: 16 },
  /** Slurm counts time limits in whole minutes; a week is the longest a job may ask for here. */
  timeLimitMin: { min: 1, max: 7 * 24 * 60 },
} as const;

/** A training run as a Slurm job: where it runs and how big it is, and the run itself. */
export const ClusterJobSpec = z
  .object({
    name: slurmName('job name'),
    /** Absent: the cluster's default partition. */
    partition: slurmName('partition name').optional(),
    account: slurmName('account name').optional(),
    nodes: integerIn(CLUSTER_LIMITS.nodes.min, CLUSTER_LIMITS.nodes.max),
    tasksPerNode: integerIn(CLUSTER_LIMITS.tasksPerNode.min, CLUSTER_LIMITS.tasksPerNode.max),
    gpusPerNode: integerIn(CLUSTER_LIMITS.gpusPerNode.min, CLUSTER_LIMITS.gpusPerNode.max),
    timeLimitMin: integerIn(CLUSTER_LIMITS.timeLimitMin.min, CLUSTER_LIMITS.timeLimitMin.max),
    config: RunConfig,
  })
  .superRefine((spec, ctx) => {
    if (spec.config.distribution !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['config', 'distribution'], message: "a cluster job's peers are its Slurm tasks: leave distribution out and set nodes and tasksPerNode" });
    }
    if (spec.config.distillation !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['config', 'distillation'], message: "a cluster job's tasks are not handed a teacher's checkpoint: distill on this machine" });
    }
    const tasks = spec.nodes * spec.tasksPerNode;
    if (tasks > MAX_PEERS) {
      ctx.addIssue({ code: 'custom', path: ['tasksPerNode'], message: `nodes × tasksPerNode must be at most ${MAX_PEERS} tasks (one trainer each); got ${spec.nodes} × ${spec.tasksPerNode} = ${tasks}` });
    }
  });
export type ClusterJobSpec = z.infer<typeof ClusterJobSpec>;

/** A cluster run's folder name on the cluster: `<job name>-<yyyymmdd-hhmmss>-<4 hex>`. */
export const ClusterRunId = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}-\d{8}-\d{6}-[0-9a-f]{4}$/, { error: 'no such cluster run' });
export type ClusterRunId = z.infer<typeof ClusterRunId>;

/** Slurm's job states a user meets; others Slurm may add are shown as they come. */
export const ENDED_JOB_STATES = ['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY'] as const;
/** States of a job that is in Slurm's queue or running. */
export const LIVE_JOB_STATES = ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT'] as const;
export const isLive = (state: string): boolean => (LIVE_JOB_STATES as readonly string[]).includes(state);

/** One sbatch of a cluster run: the first, a requeue keeps its id, each Resume is a new one. */
export const ClusterJob = z.object({
  jobId: z.number().int().positive(),
  submittedAt: z.number(),
  /** Slurm's state (`PENDING`, `RUNNING`, `TIMEOUT`…), or `UNKNOWN` once Slurm has forgotten a job whose end nobody saw. */
  state: z.string().max(40),
  /** Why it waits or why it ended (`Priority`, `Resources`, `TimeLimit`…); `None` otherwise. */
  reason: z.string().max(200),
  /** A pending job's place in its partition's queue (1: next), by Slurm's priority. */
  position: z.number().int().positive().nullable(),
  /** The nodes it runs on, as Slurm writes them (`hpcnode[1-2]`). */
  nodes: z.string().max(1000),
  /** Whether this job continues the run from its last checkpoint. */
  resume: z.boolean(),
});
export type ClusterJob = z.infer<typeof ClusterJob>;

/** How often each task of a job writes down its node's hardware reading. */
export const TASK_HARDWARE_SAMPLE_MS = 2000;

/** One trainer of a running job: where it is and which GPUs Slurm gave it (job ↔ GPU). */
export const ClusterTask = z.object({
  rank: z.number().int().min(0).max(MAX_PEERS - 1),
  node: z.string().max(253),
  address: z.string().max(253),
  /** GPU indices Slurm bound to the task (`SLURM_STEP_GPUS`/`CUDA_VISIBLE_DEVICES`); empty: none. */
  gpus: z.array(z.string().max(64)).max(64),
  /** The task's node's latest hardware reading, a few seconds old at most while it runs. */
  hardware: HardwareSample.nullable(),
});
export type ClusterTask = z.infer<typeof ClusterTask>;

/** A training run on the cluster, across the jobs that ran it. */
export const ClusterRun = z.object({
  id: ClusterRunId,
  spec: ClusterJobSpec,
  createdAt: z.number(),
  /** The run's id in its own log, once the first task has started it. */
  runId: z.string().max(200).nullable(),
  /** Oldest first; the last is the one that is (or was last) in Slurm. */
  jobs: z.array(ClusterJob).min(1),
  tasks: z.array(ClusterTask),
  /** The run can go on from a checkpoint in a new job. */
  resumable: z.boolean(),
});
export type ClusterRun = z.infer<typeof ClusterRun>;

export const ClusterRunRef = z.object({ target: ClusterTarget.default(LOCAL_CLUSTER), clusterRunId: ClusterRunId });

/** A piece of a text file kept on the cluster, from `offset` on: the run's log (to catch up) or a job's output. */
export const ClusterFileChunk = z.object({
  text: z.string(),
  /** Where the next read starts: after the last whole line returned. */
  nextOffset: z.number().int().nonnegative(),
  /** The file's size now. */
  size: z.number().int().nonnegative(),
});
export type ClusterFileChunk = z.infer<typeof ClusterFileChunk>;
