import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ClusterJobSpec, ClusterRunId, ClusterTask } from '../../shared/cluster-job.js';
import { HardwareSample } from '../../shared/hardware-sample.js';
import { writeFileAtomic } from '../atomic-file.js';

/** Where the app keeps its cluster runs, under the data directory of the host that submits them (on the cluster's shared filesystem). */
export const CLUSTER_RUNS_DIR = 'cluster-runs';

const SpecFile = z.object({ createdAt: z.number(), spec: ClusterJobSpec });

/** One line of `jobs.jsonl`: a job submitted, a job's end, or the run's id once its first task started it. */
export const JobEntry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('submitted'), jobId: z.number().int().positive(), time: z.number(), resume: z.boolean() }),
  z.object({ type: z.literal('ended'), jobId: z.number().int().positive(), time: z.number(), state: z.string().max(40), reason: z.string().max(200) }),
  z.object({ type: z.literal('run'), jobId: z.number().int().positive(), time: z.number(), runId: z.string().max(200) }),
]);
export type JobEntry = z.infer<typeof JobEntry>;

/** What a task says of itself for the job it belongs to; `url` is its agent's, once it listens (ranks above 0). */
export const TaskFile = z.object({
  jobId: z.number().int().positive(),
  /** Slurm's SLURM_RESTART_COUNT: a requeued job runs again under the same id. */
  attempt: z.number().int().nonnegative(),
  rank: ClusterTask.shape.rank,
  node: ClusterTask.shape.node,
  address: ClusterTask.shape.address,
  gpus: ClusterTask.shape.gpus,
  url: z.string().max(300).nullable(),
});
export type TaskFile = z.infer<typeof TaskFile>;

/**
 * One cluster run's folder: `spec.json`, `job-secret` (0600), `jobs.jsonl` (append-only),
 * `job.sbatch`, Slurm's `slurm-<job>.out`, `tasks/` (what each task of the current job says of
 * itself) and `runs/<run id>/` — a data directory of its own, so the run's log is the one a local
 * run keeps.
 */
export class ClusterRunFolder {
  readonly dir: string;

  constructor(root: string, readonly id: ClusterRunId) {
    this.dir = join(root, id);
  }

  static list(root: string): ClusterRunFolder[] {
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((name) => ClusterRunId.safeParse(name).success && existsSync(join(root, name, 'spec.json')))
      .map((name) => new ClusterRunFolder(root, name));
  }

  get secretFile(): string {
    return join(this.dir, 'job-secret');
  }
  get scriptFile(): string {
    return join(this.dir, 'job.sbatch');
  }
  get tasksDir(): string {
    return join(this.dir, 'tasks');
  }
  /** Slurm's `--output` pattern (`%j`: the job id), and one job's file. */
  get outputPattern(): string {
    return join(this.dir, 'slurm-%j.out');
  }
  outputFile(jobId: number): string {
    return join(this.dir, `slurm-${jobId}.out`);
  }
  runLog(runId: string): string {
    return join(this.dir, 'runs', runId, 'run.log.jsonl');
  }

  create(spec: ClusterJobSpec, createdAt: number, secret: string): void {
    mkdirSync(this.tasksDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.secretFile, `${secret}\n`, 0o600);
    writeFileAtomic(join(this.dir, 'spec.json'), JSON.stringify(SpecFile.parse({ createdAt, spec }), null, 2) + '\n');
  }

  readSpec(): z.infer<typeof SpecFile> {
    return SpecFile.parse(JSON.parse(readFileSync(join(this.dir, 'spec.json'), 'utf8')));
  }

  append(entry: JobEntry): void {
    appendFileSync(join(this.dir, 'jobs.jsonl'), JSON.stringify(JobEntry.parse(entry)) + '\n');
  }

  /** Every whole, valid line; a torn last line (a crash mid-write) is left out. */
  entries(): JobEntry[] {
    const file = join(this.dir, 'jobs.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          const parsed = JobEntry.safeParse(JSON.parse(line));
          return parsed.success ? [parsed.data] : [];
        } catch {
          return [];
        }
      });
  }

  writeTask(task: TaskFile): void {
    writeFileAtomic(join(this.tasksDir, `${task.rank}.json`), JSON.stringify(TaskFile.parse(task)) + '\n');
  }

  writeHardware(rank: number, sample: HardwareSample): void {
    writeFileAtomic(join(this.tasksDir, `${rank}.hardware.json`), JSON.stringify(sample) + '\n');
  }

  /** The tasks of `jobId`'s latest attempt (or of `attempt`) that have said where they are, by rank. */
  tasks(jobId: number, attempt?: number): (TaskFile & { hardware: HardwareSample | null })[] {
    if (!existsSync(this.tasksDir)) return [];
    const all = readdirSync(this.tasksDir)
      .filter((name) => /^\d+\.json$/.test(name))
      .flatMap((name) => {
        const task = readJson(join(this.tasksDir, name), TaskFile);
        return task && task.jobId === jobId ? [task] : [];
      });
    const wanted = attempt ?? Math.max(...all.map((t) => t.attempt));
    return all
      .filter((t) => t.attempt === wanted)
      .map((t) => ({ ...t, hardware: readJson(join(this.tasksDir, `${t.rank}.hardware.json`), HardwareSample) }))
      .sort((a, b) => a.rank - b.rank);
  }

  /** The first task's marker that this attempt's training has ended, so the other tasks leave. */
  finishedMarker(jobId: number, attempt: number): string {
    return join(this.tasksDir, `finished-${jobId}.${attempt}`);
  }

  size(file: string): number {
    return existsSync(file) ? statSync(file).size : 0;
  }
}

function readJson<T>(file: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
