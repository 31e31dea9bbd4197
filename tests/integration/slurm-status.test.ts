import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStatus } from '../../shared/cluster-status.js';
import { runCli } from '../support/cli-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

// A real single-node Slurm 22.05 (Debian's slurmctld, slurmd and munged) started for this file;
// `hpc-studio cluster status --local` reads it as a user on a login node would.

describe('cluster status against a real Slurm', () => {
  let slurm: TestSlurm;
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);
  afterAll(() => slurm?.stop());

  const status = async () => {
    const result = await runCli(['cluster', 'status', '--local', '--json'], slurm.env);
    expect(result.code, result.stderr).toBe(0);
    return ClusterStatus.parse(JSON.parse(result.stdout));
  };
  const sbatch = (...args: string[]) => Number(/Submitted batch job (\d+)/.exec(execFileSync('sbatch', [...args, '--output=/dev/null', '--wrap=sleep 120'], { env: slurm.env, cwd: slurm.dir, encoding: 'utf8' }))![1]);

  it('lists the partition and the node as Slurm reports them', async () => {
    const cluster = await status();
    expect(cluster.slurmVersion).toMatch(/^22\.05\./);
    expect(cluster.partitions).toEqual([{ name: slurm.partition, state: 'up', nodes: [slurm.node], default: true }]);
    expect(cluster.nodes).toHaveLength(1);
    expect(cluster.nodes[0]).toMatchObject({ name: slurm.node, state: 'idle', cpus: 2, gpus: 0, partitions: [slurm.partition] });
    expect(cluster.nodes[0]!.memoryMB).toBeGreaterThan(1024);
    expect(cluster.jobs).toEqual([]);
  });

  it('shows a running job on its node, and a job that cannot run with the reason it waits', async () => {
    const running = sbatch('--job-name=fits', '--ntasks=1');
    const waiting = sbatch('--job-name=too-big', '--ntasks=8');
    try {
      let cluster = await status();
      for (const deadline = Date.now() + 30_000; cluster.jobs.find((j) => j.id === running)?.state !== 'running' && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        cluster = await status();
      }
      expect(cluster.jobs.find((j) => j.id === running)).toMatchObject({ name: 'fits', state: 'running', reason: 'None', nodes: slurm.node, partition: slurm.partition });
      const pending = cluster.jobs.find((j) => j.id === waiting)!;
      expect(pending).toMatchObject({ name: 'too-big', state: 'pending', nodes: '' });
      expect(pending.reason).not.toBe('None');
      expect(cluster.nodes[0]!.state).toMatch(/^(mixed|allocated)/);

      const text = await runCli(['cluster', 'status'], slurm.env);
      expect(text.stdout).toMatch(new RegExp(`^${slurm.partition}\\*\\s+up\\s+${slurm.node}$`, 'm'));
      expect(text.stdout).toMatch(new RegExp(`^${running}\\s+fits\\s+\\S+\\s+running\\s+None`, 'm'));
    } finally {
      execFileSync('scancel', [String(running), String(waiting)], { env: slurm.env });
    }
  });

  it('says Slurm is not installed when its commands are not on the PATH', async () => {
    const result = await runCli(['cluster', 'status', '--json'], { ...slurm.env, PATH: tempDir('empty-path') });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: no Slurm cluster reachable: Slurm's commands are not installed here: `(sinfo|squeue|scontrol)` is not on the PATH/);
  });

  it('says the controller does not answer when slurmctld is down', async () => {
    await slurm.kill('slurmctld');
    const result = await runCli(['cluster', 'status', '--json'], slurm.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: no Slurm cluster reachable: the Slurm controller does not answer \(`(sinfo|squeue|scontrol)`: .+\); check that slurmctld runs/);
  });
});
