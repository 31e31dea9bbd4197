import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRun } from '../../shared/cluster-job.js';
import { readRunLog } from '../../host/run-log.js';
import { runCli } from '../support/cli-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

// A real Slurm 22.05 with a scavenger-style setup: jobs of the `urgent` partition preempt (cancel)
// those of the default one after a grace time. A training job is preempted, shows so, waits its
// turn with its reason and place in the queue, resumes from its checkpoint, and is requeued.

describe('a preempted training job', () => {
  let slurm: TestSlurm;
  const dataDir = tempDir('preempt');
  beforeAll(async () => {
    slurm = await startSlurm({ preemption: true });
  }, 60_000);
  afterAll(() => slurm?.stop());

  const cli = (...args: string[]) => runCli(['cluster', ...args, '--data-dir', dataDir], slurm.env);
  const get = async (id: string) => {
    const result = await cli('runs', '--json');
    expect(result.code, result.stderr).toBe(0);
    return ClusterRun.array().parse(JSON.parse(result.stdout)).find((r) => r.id === id)!;
  };
  const until = async (id: string, test: (run: ClusterRun) => boolean, what: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await get(id);
      if (test(run)) return run;
      if (Date.now() > deadline) throw new Error(`${id} never ${what}: ${JSON.stringify(run.jobs)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const records = (id: string, runId: string) => readRunLog(join(dataDir, 'cluster-runs', id, 'runs', runId, 'run.log.jsonl')).records;
  const last = (run: ClusterRun) => run.jobs.at(-1)!;
  const resumes = (run: ClusterRun) => records(run.id, run.runId!).filter((r) => r.type === 'resume').length;
  const trainingAgain = (count: number) => (run: ClusterRun) => last(run).state === 'RUNNING' && resumes(run) === count;

  it('is marked preempted, waits with its reason and place, resumes from its checkpoint, and can be requeued', async () => {
    const submitted = await cli('submit', '--name', 'scavenger', '--tasks-per-node', '2', '--time', '30', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1000', '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = ClusterRun.parse(JSON.parse(submitted.stdout)).id;
    await until(id, (r) => last(r).state === 'RUNNING' && r.runId !== null && records(r.id, r.runId).some((x) => x.type === 'step'), 'started training');

    const urgent = /Submitted batch job (\d+)/.exec(
      execFileSync('sbatch', ['--partition=urgent', '--ntasks=2', '--output=/dev/null', '--wrap=sleep 25'], { env: slurm.env, cwd: slurm.dir, encoding: 'utf8' }),
    )![1];
    const preempted = await until(id, (r) => last(r).state === 'PREEMPTED' && r.resumable, 'was preempted with a checkpoint', 90_000);
    expect(records(id, preempted.runId!).findLast((r) => r.type === 'status')).toMatchObject({ status: 'stopped' });
    expect((await cli('logs', id)).stdout).toMatch(/Slurm preempted the job at \S+; its checkpoint is kept/);
    const table = await cli('runs');
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+${last(preempted).jobId}\\s+preempted\\s+.*yes`));

    // The urgent job holds the node: the new job waits, saying why and where it stands.
    expect((await cli('resume', id)).code).toBe(0);
    const waiting = await until(id, (r) => last(r).state === 'PENDING' && last(r).reason !== 'None', 'waited with a reason', 30_000);
    expect(last(waiting)).toMatchObject({ state: 'PENDING', resume: true, position: 1 });
    expect(['Resources', 'Priority']).toContain(last(waiting).reason);
    await until(id, trainingAgain(1), 'resumed after the urgent job', 120_000);
    execFileSync('scancel', [urgent!], { env: slurm.env });

    const requeued = await cli('requeue', id);
    expect(requeued.code, requeued.stderr).toBe(0);
    // Back in the queue under the same id; Slurm holds a requeued job a while (BeginTime), which
    // the test cuts short rather than wait out. Not to `now`: slurmd refuses to launch a job in the
    // same second its last attempt's credential was revoked ("Job credential revoked"), and fails it.
    const held = await until(id, (r) => last(r).state === 'PENDING' && last(r).reason === 'BeginTime', 'waited as requeued', 60_000);
    expect(last(held).jobId).toBe(last(waiting).jobId);
    execFileSync('scontrol', ['update', `JobId=${last(held).jobId}`, 'StartTime=now+3'], { env: slurm.env });
    const again = await until(id, trainingAgain(2), 'trained again after the requeue', 240_000);
    expect(again.jobs).toHaveLength(2);
    const [first, second] = records(id, again.runId!).filter((r) => r.type === 'resume') as { fromStep: number }[];
    expect(second!.fromStep).toBeGreaterThan(first!.fromStep);
    expect((await cli('cancel', id)).code).toBe(0);
  }, 480_000);
});
