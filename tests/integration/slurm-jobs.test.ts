import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRun } from '../../shared/cluster-job.js';
import { readRunLog } from '../../host/run-log.js';
import { checkpointWeights, maxWeightDifference } from '../support/checkpoint-weights.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

// Training runs as jobs of a real single-node Slurm 22.05 (slurmctld, slurmd, munged from Debian),
// submitted, watched and controlled with `hpc-studio cluster …` as a user on the login node would.
// srun starts real trainers; the cluster runs live in the data directory the node shares.

const RUN = ['--dataset', 'fashion-mnist', '--model', 'mlp', '--batch-size', '96', '--seed', '3'];

describe('training jobs on a real Slurm', () => {
  let slurm: TestSlurm;
  const dataDir = tempDir('cluster-data');
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);
  afterAll(() => slurm?.stop());

  const cli = (...args: string[]) => runCli(['cluster', ...args, '--data-dir', dataDir], slurm.env);
  const runs = async () => {
    const result = await cli('runs', '--json');
    expect(result.code, result.stderr).toBe(0);
    return ClusterRun.array().parse(JSON.parse(result.stdout));
  };
  const submit = async (...args: string[]) => {
    const result = await cli('submit', ...RUN, ...args, '--json');
    expect(result.code, result.stderr).toBe(0);
    return ClusterRun.parse(JSON.parse(result.stdout));
  };
  /** Polls the run until its latest job is in `state` (and, if asked, has started training). */
  const until = async (id: string, test: (run: ClusterRun) => boolean, what: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = (await runs()).find((r) => r.id === id)!;
      if (test(run)) return run;
      if (Date.now() > deadline) {
        const out = await cli('logs', id);
        throw new Error(`${id} never ${what}: ${JSON.stringify(run.jobs)}\n${out.stdout.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const state = (run: ClusterRun) => run.jobs.at(-1)!.state;
  const folder = (id: string) => join(dataDir, 'cluster-runs', id);

  it('trains a 2-task job data-parallel to the weights a 2-peer local run ends with', async () => {
    const job = await submit('--name', 'dp2', '--tasks-per-node', '2', '--time', '5', '--epochs', '1', '--limit', '2094');
    expect(job.spec).toMatchObject({ nodes: 1, tasksPerNode: 2, timeLimitMin: 5 });
    expect(job.spec.partition).toBeUndefined();
    const followed = await cli('logs', job.id, '--follow');
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/\[task 0\] 2 tasks: 0@hpcnode, 1@hpcnode[\s\S]*run run-\S+ done in/);
    expect(followed.stderr).toContain(`job ${job.jobs[0]!.jobId} completed`);
    const done = (await runs()).find((r) => r.id === job.id)!;
    expect(state(done)).toBe('COMPLETED');
    expect(done.runId).toMatch(/^run-/);

    const localDir = tempDir('local');
    const local = await runCli(['train', ...RUN, '--epochs', '1', '--limit', '2094', '--peers', 'local,local', '--data-dir', localDir, '--json']);
    expect(local.code, local.stderr).toBe(0);
    const localRun = jsonLines(local.stdout).find((e) => e.runId)!.runId as string;
    const ours = checkpointWeights(join(folder(job.id), 'runs', done.runId!, 'checkpoints'));
    const theirs = checkpointWeights(join(localDir, 'runs', localRun, 'checkpoints'));
    expect(ours.length).toBeGreaterThan(0);
    expect(maxWeightDifference(ours, theirs)).toBeLessThan(1e-6);
    const steps = readRunLog(join(folder(job.id), 'runs', done.runId!, 'run.log.jsonl')).records.filter((r) => r.type === 'step');
    expect(steps).toHaveLength(20);
  }, 240_000);

  const records = (id: string, runId: string) => readRunLog(join(folder(id), 'runs', runId, 'run.log.jsonl')).records;
  const training = (run: ClusterRun) => state(run) === 'RUNNING' && run.runId !== null && records(run.id, run.runId).some((r) => r.type === 'step');
  const lastStatus = (id: string, runId: string) => records(id, runId).findLast((r) => r.type === 'status') as { status: string } | undefined;

  it('cancels a running job: the run keeps its log and checkpoint, and Resume continues it in a new job', async () => {
    const job = await submit('--name', 'cancel-me', '--epochs', '30', '--time', '10');
    const running = await until(job.id, training, 'started training', 120_000);
    expect(running.tasks).toMatchObject([{ rank: 0, node: slurm.node, address: '127.0.0.1', gpus: [] }]);
    const jobId = running.jobs[0]!.jobId;

    const cancelled = await cli('cancel', String(jobId));
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`cancelled job ${jobId} of ${job.id}`);
    const ended = await until(job.id, (r) => state(r) === 'CANCELLED' && r.resumable, 'was cancelled with a checkpoint', 60_000);
    expect(lastStatus(job.id, ended.runId!)?.status).toBe('stopped');
    expect((await cli('cancel', job.id)).stderr).toContain(`has ended (cancelled): nothing to cancel`);

    const resumed = await cli('resume', job.id, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = ClusterRun.parse(JSON.parse(resumed.stdout)).jobs;
    expect(second).toHaveLength(2);
    expect(second[1]).toMatchObject({ resume: true });
    await until(job.id, (r) => state(r) === 'RUNNING' && records(r.id, r.runId!).some((x) => x.type === 'resume'), 'resumed', 120_000);
    const resume = records(job.id, ended.runId!).find((r) => r.type === 'resume') as { fromStep: number };
    expect(resume.fromStep).toBeGreaterThan(0);
    expect((await cli('cancel', job.id)).code).toBe(0);
  }, 300_000);

  it('marks a job stopped by its 1-minute time limit as timed out, and resumes it from its checkpoint', async () => {
    const job = await submit('--name', 'short', '--epochs', '1000', '--time', '1');
    const ended = await until(job.id, (r) => state(r) === 'TIMEOUT', 'timed out', 180_000);
    expect(ended.jobs[0]!.reason).toBe('TimeLimit');
    expect(ended.resumable).toBe(true);
    expect(lastStatus(job.id, ended.runId!)?.status).toBe('stopped');
    const output = await cli('logs', job.id);
    expect(output.stdout).toContain('stopping: writing a checkpoint…');
    expect(output.stdout).toMatch(/CANCELLED AT \S+ DUE TO TIME LIMIT/);

    const resumed = await cli('resume', job.id);
    expect(resumed.code, resumed.stderr).toBe(0);
    await until(job.id, (r) => state(r) === 'RUNNING' && records(r.id, r.runId!).some((x) => x.type === 'resume'), 'resumed', 120_000);
    expect((await cli('cancel', job.id)).code).toBe(0);
  }, 400_000);
});
