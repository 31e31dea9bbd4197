import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ENDED_JOB_STATES, isLive, type ClusterFileChunk, type ClusterJob, type ClusterJobSpec, type ClusterRun } from '../../shared/cluster-job.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { batchScript, UnsafeClusterPath } from './batch-script.js';
import { ClusterRunFolder, type JobEntry } from './cluster-run-folder.js';
import { jobEndInOutput, jobsFromSqueue } from './slurm-output.js';
import { parseJson, slurmOutput, type RunSlurmCommand } from './slurm-status.js';
import { writeFileAtomic } from '../atomic-file.js';

export interface SlurmJobsDeps {
  /** `<data dir>/cluster-runs`: on the cluster's shared filesystem, where every node finds it. */
  root: string;
  slurm: RunSlurmCommand;
  /**
   * The words that run `hpc-studio` on the cluster's nodes (this Node and this CLI, found at the
   * same path there); null where this host cannot start one (the desktop app's own process).
   */
  cliCommand: readonly string[] | null;
  version: string;
  now?: () => number;
}

/** The most one read of a file on the cluster returns, so a long log comes in pieces the channel carries. */
const CHUNK_BYTES = 1 << 20;

const notFound = (clusterRunId: string) => new ApiError({ code: 'not-found', message: `clusterRunId: no cluster run named ${JSON.stringify(clusterRunId)}` });
const conflict = (message: string) => new ApiError({ code: 'conflict', message });

/**
 * Training runs as Slurm jobs on the cluster this host is a login node of: each in its own folder
 * (see ClusterRunFolder), submitted with sbatch, watched through squeue and what the job's tasks
 * write, cancelled with scancel, requeued with scontrol, resumed as a new job. Every command is an
 * argv vector; nothing passes through a shell.
 */
export class SlurmJobs {
  private readonly now: () => number;

  constructor(private readonly deps: SlurmJobsDeps) {
    this.now = deps.now ?? Date.now;
  }

  preview(spec: ClusterJobSpec): { script: string; clusterRunId: string } {
    const clusterRunId = this.newId(spec.name);
    return { script: this.script(new ClusterRunFolder(this.deps.root, clusterRunId), spec), clusterRunId };
  }

  async submit(spec: ClusterJobSpec, clusterRunId: string = this.newId(spec.name)): Promise<ClusterRun> {
    const folder = new ClusterRunFolder(this.deps.root, clusterRunId);
    if (existsSync(folder.dir)) throw conflict(`clusterRunId: ${clusterRunId} was submitted already; preview again for a new one`);
    const script = this.script(folder, spec);
    folder.create(spec, this.now(), randomBytes(32).toString('base64url'));
    writeFileAtomic(folder.scriptFile, script, 0o600);
    await this.sbatch(folder, false);
    return (await this.runs([folder]))[0]!;
  }

  async list(): Promise<ClusterRun[]> {
    const runs = await this.runs(ClusterRunFolder.list(this.deps.root));
    return runs.sort((a, b) => b.createdAt - a.createdAt);
  }

  async cancel(clusterRunId: string): Promise<ClusterRun> {
    const { folder, job } = await this.liveJob(clusterRunId, 'cancel');
    await slurmOutput(this.deps.slurm, 'scancel', [String(job.jobId)]);
    return this.one(folder);
  }

  async requeue(clusterRunId: string): Promise<ClusterRun> {
    const { folder, job } = await this.liveJob(clusterRunId, 'requeue');
    await slurmOutput(this.deps.slurm, 'scontrol', ['requeue', String(job.jobId)]);
    return this.one(folder);
  }

  async resume(clusterRunId: string): Promise<ClusterRun> {
    const folder = this.folder(clusterRunId);
    const run = await this.one(folder);
    const last = run.jobs.at(-1)!;
    if (isLive(last.state)) throw conflict(`job ${last.jobId} of ${clusterRunId} is ${last.state.toLowerCase()}: cancel it first, or requeue it`);
    if (!run.resumable) throw conflict(`${clusterRunId} cannot be resumed: ${run.runId === null ? 'its job never started training' : 'it finished, or left no checkpoint'}`);
    writeFileAtomic(folder.scriptFile, this.script(folder, run.spec), 0o600);
    await this.sbatch(folder, true);
    return this.one(folder);
  }

  readRunLog(clusterRunId: string, offset: number): ClusterFileChunk {
    const folder = this.folder(clusterRunId);
    const runId = runIdOf(folder.entries());
    return runId === null ? { text: '', nextOffset: 0, size: 0 } : readLines(folder.runLog(runId), offset);
  }

  readJobOutput(clusterRunId: string, jobId: number | undefined, offset: number): ClusterFileChunk {
    const folder = this.folder(clusterRunId);
    const submitted = folder.entries().filter((e) => e.type === 'submitted');
    const id = jobId ?? submitted.at(-1)?.jobId;
    if (id === undefined || !submitted.some((e) => e.jobId === id)) throw new ApiError({ code: 'not-found', message: `jobId: ${clusterRunId} has no job ${jobId}` });
    return readLines(folder.outputFile(id), offset);
  }

  private folder(clusterRunId: string): ClusterRunFolder {
    const folder = new ClusterRunFolder(this.deps.root, clusterRunId);
    if (!existsSync(join(folder.dir, 'spec.json'))) throw notFound(clusterRunId);
    return folder;
  }

  private async one(folder: ClusterRunFolder): Promise<ClusterRun> {
    return (await this.runs([folder]))[0]!;
  }

  private async liveJob(clusterRunId: string, verb: string): Promise<{ folder: ClusterRunFolder; job: ClusterJob }> {
    const folder = this.folder(clusterRunId);
    const job = (await this.one(folder)).jobs.at(-1)!;
    if (!isLive(job.state)) throw conflict(`job ${job.jobId} of ${clusterRunId} has ended (${job.state.toLowerCase()}): nothing to ${verb}`);
    return { folder, job };
  }

  private script(folder: ClusterRunFolder, spec: ClusterJobSpec): string {
    if (this.deps.cliCommand === null) {
      throw conflict('this host cannot start hpc-studio on the cluster\'s nodes: submit from the CLI on the login node, or connect to it over SSH');
    }
    try {
      return batchScript({
        spec,
        clusterRunId: folder.id,
        output: folder.outputPattern,
        task: [...this.deps.cliCommand, 'cluster', 'task', '--run-dir', folder.dir],
        version: this.deps.version,
      });
    } catch (error) {
      if (error instanceof UnsafeClusterPath) throw ApiError.forField('dataDir', error.message);
      throw error;
    }
  }

  private async sbatch(folder: ClusterRunFolder, resume: boolean): Promise<void> {
    // --parsable: `<job id>` or `<job id>;<cluster>`.
    const said = await slurmOutput(this.deps.slurm, 'sbatch', ['--parsable', folder.scriptFile]).catch((error: Error) => {
      throw new ApiError({ code: 'invalid', message: `sbatch refused the job: ${error.message}` });
    });
    const jobId = Number(/^(\d+)/.exec(said.trim())?.[1]);
    if (!Number.isInteger(jobId) || jobId <= 0) throw new ApiError({ code: 'internal', message: `sbatch answered no job id: ${JSON.stringify(said.slice(0, 200))}` });
    folder.append({ type: 'submitted', jobId, time: this.now(), resume });
  }

  /** Each run with its jobs' state: squeue's while Slurm knows the job, else what the job's tasks (or an earlier look) recorded. */
  private async runs(folders: ClusterRunFolder[]): Promise<ClusterRun[]> {
    if (folders.length === 0) return [];
    const queue = new Map(jobsFromSqueue(parseJson(await slurmOutput(this.deps.slurm, 'squeue', ['--json']), 'squeue --json')).map((j) => [j.id, j]));
    return folders.map((folder) => {
      const { createdAt, spec } = folder.readSpec();
      const entries = folder.entries();
      const jobs = entries.flatMap((entry): ClusterJob[] => {
        if (entry.type !== 'submitted') return [];
        const live = queue.get(entry.jobId);
        const ended = entries.findLast((e): e is JobEntry & { type: 'ended' } => e.type === 'ended' && e.jobId === entry.jobId);
        const queued = live?.state.toUpperCase();
        const hasEnded = queued === undefined || (ENDED_JOB_STATES as readonly string[]).includes(queued);
        // How a job ended: as its tasks recorded it (they know a preemption Slurm calls FAILED), else
        // as Slurm says while it remembers the job, else as slurmstepd wrote in the job's output.
        const remembered = ended ?? (queued === undefined ? jobEndInOutput(tail(folder.outputFile(entry.jobId)), entry.jobId) : null);
        const state = !hasEnded ? queued : (remembered?.state ?? queued ?? 'UNKNOWN');
        if (live && hasEnded && !ended) {
          // Slurm forgets an ended job after MinJobAge; the folder remembers how it ended.
          folder.append({ type: 'ended', jobId: entry.jobId, time: this.now(), state, reason: live.reason });
        }
        return [{
          jobId: entry.jobId,
          submittedAt: entry.time,
          state,
          reason: !hasEnded || !remembered ? (live?.reason ?? 'None') : remembered.reason,
          position: live?.position ?? null,
          nodes: live?.nodes ?? '',
          resume: entry.resume,
        }];
      });
      const runId = runIdOf(entries);
      const last = jobs.at(-1)!;
      return {
        id: folder.id,
        spec,
        createdAt,
        runId,
        jobs,
        tasks: isLive(last.state) ? folder.tasks(last.jobId).map(({ rank, node, address, gpus, hardware }) => ({ rank, node, address, gpus, hardware })) : [],
        // A job completes only once its run is done (its first task exits 0 only then): no run log is read per listing.
        resumable: !isLive(last.state) && runId !== null && hasCheckpoint(folder, runId) && !jobs.some((j) => j.state === 'COMPLETED'),
      };
    });
  }

  private newId(name: string): string {
    const iso = new Date(this.now()).toISOString();
    return `${name}-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${randomBytes(2).toString('hex')}`;
  }
}

function runIdOf(entries: readonly JobEntry[]): string | null {
  return entries.find((e): e is JobEntry & { type: 'run' } => e.type === 'run')?.runId ?? null;
}

function hasCheckpoint(folder: ClusterRunFolder, runId: string): boolean {
  const dir = join(folder.dir, 'runs', runId, 'checkpoints');
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/** The last few KiB of a job's output, where slurmstepd says how it ended. */
function tail(file: string): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, 16 * 1024));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whole lines of `file` from `offset`, at most CHUNK_BYTES of them. */
function readLines(file: string, offset: number): ClusterFileChunk {
  if (!existsSync(file)) return { text: '', nextOffset: offset, size: 0 };
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, Math.min(CHUNK_BYTES, size - offset)));
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
    if (end === 0 && read === CHUNK_BYTES) throw new ApiError({ code: 'internal', message: `${file}: a line longer than ${CHUNK_BYTES} bytes at ${offset}` });
    return { text: buffer.subarray(0, end).toString('utf8'), nextOffset: offset + end, size };
  } finally {
    closeSync(fd);
  }
}
