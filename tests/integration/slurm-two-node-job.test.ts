import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRun } from '../../shared/cluster-job.js';
import { checkpointWeights, maxWeightDifference } from '../support/checkpoint-weights.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { tempDir } from '../support/studio-fixture.js';

// A job that really spans two hosts: a real Slurm 22.05 whose two compute nodes are network
// namespaces with addresses of their own on a bridge (tests/support/simulated-node-network.ts).
// They share this machine's filesystem and kernel, as a cluster's nodes share its home directories.

const RUN = ['--dataset', 'fashion-mnist', '--model', 'mlp', '--batch-size', '96', '--seed', '3', '--epochs', '1', '--limit', '2094'];

describe('a data-parallel job across two Slurm nodes', () => {
  let slurm: TestSlurm;
  const dataDir = tempDir('two-nodes');
  beforeAll(async () => {
    slurm = await startSlurm({ nodes: 2 });
  }, 60_000);
  afterAll(() => slurm?.stop());

  it('runs one trainer on each node, linked over their own addresses, to the weights of a 2-peer local run', async () => {
    const submitted = await runCli(['cluster', 'submit', '--name', 'span', '--nodes', '2', '--time', '5', ...RUN, '--data-dir', dataDir, '--json'], slurm.env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = ClusterRun.parse(JSON.parse(submitted.stdout)).id;
    let run: ClusterRun;
    for (const deadline = Date.now() + 120_000; ; ) {
      const listed = await runCli(['cluster', 'runs', '--json', '--data-dir', dataDir], slurm.env);
      run = ClusterRun.array().parse(JSON.parse(listed.stdout)).find((r) => r.id === id)!;
      if (run.jobs[0]!.state === 'COMPLETED') break;
      if (Date.now() > deadline || ['FAILED', 'CANCELLED', 'TIMEOUT'].includes(run.jobs[0]!.state)) {
        throw new Error(`job ended ${run.jobs[0]!.state}: ${(await runCli(['cluster', 'logs', id, '--data-dir', dataDir], slurm.env)).stdout.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const folder = join(dataDir, 'cluster-runs', id);
    // Each task said where it ran: its node and that node's own address.
    const tasks = readdirSync(join(folder, 'tasks'))
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => JSON.parse(readFileSync(join(folder, 'tasks', f), 'utf8')) as { rank: number; node: string; address: string; url: string | null })
      .sort((a, b) => a.rank - b.rank);
    expect(tasks.map((t) => [t.rank, t.node, t.address])).toEqual(slurm.nodes.map((n, rank) => [rank, n.name, n.address]));
    expect(tasks[1]!.url).toMatch(new RegExp(`^ws://${slurm.nodes[1]!.address.replaceAll('.', '\\.')}:\\d+$`));

    const localDir = tempDir('local');
    const local = await runCli(['train', ...RUN, '--peers', 'local,local', '--data-dir', localDir, '--json']);
    expect(local.code, local.stderr).toBe(0);
    const localRun = jsonLines(local.stdout).find((e) => e.runId)!.runId as string;
    const ours = checkpointWeights(join(folder, 'runs', run.runId!, 'checkpoints'));
    const theirs = checkpointWeights(join(localDir, 'runs', localRun, 'checkpoints'));
    expect(ours.length).toBeGreaterThan(0);
    expect(maxWeightDifference(ours, theirs)).toBeLessThan(1e-6);
  }, 240_000);
});
