import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRun } from '../../shared/cluster-job.js';
import { ClusterStatus } from '../../shared/cluster-status.js';
import { runCli } from '../support/cli-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

// Which GPUs each task of a job got. There is no GPU here: the test Slurm's node declares two in
// its Gres, backed by device files standing in for /dev/nvidia0 and /dev/nvidia1, and real Slurm
// allocates them and tells each task (SLURM_STEP_GPUS, CUDA_VISIBLE_DEVICES) as it would real ones.

describe('job ↔ GPU on a real Slurm', () => {
  let slurm: TestSlurm;
  const dataDir = tempDir('gpus');
  beforeAll(async () => {
    slurm = await startSlurm({ gpus: 2 });
  }, 60_000);
  afterAll(() => slurm?.stop());
  const cli = (...args: string[]) => runCli(['cluster', ...args, '--data-dir', dataDir], slurm.env);

  it("shows the node's GPUs, and the GPUs each task of a job was given", async () => {
    const status = ClusterStatus.parse(JSON.parse((await cli('status', '--json')).stdout));
    expect(status.nodes[0]).toMatchObject({ name: slurm.node, gpus: 2 });

    const submitted = await cli('submit', '--name', 'gpus', '--tasks-per-node', '2', '--gpus-per-node', '2', '--time', '5', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1000', '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = ClusterRun.parse(JSON.parse(submitted.stdout)).id;
    let run: ClusterRun | undefined;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      run = ClusterRun.array().parse(JSON.parse((await cli('runs', '--json')).stdout)).find((r) => r.id === id);
      if (run?.tasks.length === 2 && run.tasks.every((t) => t.hardware !== null)) break;
    }
    expect(run!.jobs[0]!.state).toBe('RUNNING');
    expect(run!.tasks.map((t) => [t.rank, t.node, t.gpus])).toEqual([
      [0, slurm.node, ['0', '1']],
      [1, slurm.node, ['0', '1']],
    ]);
    expect(run!.tasks[0]!.hardware!.memory.totalBytes).toBeGreaterThan(0);
    expect((await cli('runs')).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+running\\s+None\\s+${slurm.node}\\s+0@${slurm.node}:gpu0\\+1 1@${slurm.node}:gpu0\\+1`));
    expect((await cli('cancel', id)).code).toBe(0);
  }, 150_000);
});
