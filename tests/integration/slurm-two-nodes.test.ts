import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSlurm, readClusterStatus } from '../../host/cluster/slurm-status.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { waitFor } from '../support/studio-fixture.js';

// A real two-node Slurm 22.05: each node is a network namespace with an address of its own on a
// bridge, running its own slurmd; the controller listens on the bridge's address. A job spanning
// both nodes runs one task in each namespace, as on two hosts (sharing this machine's disk).

/**
 * One task: says where it runs; then task 1 serves one TCP greeting on its own address, and task 0
 * fetches it from task 1's node by host name (each node's /etc/hosts names the others).
 */
const TASK = `#!/bin/bash
set -euo pipefail
address=$(hostname -I | xargs)
echo "task=$SLURM_PROCID node=$SLURMD_NODENAME nodelist=$SLURM_JOB_NODELIST hostname=$(hostname) addresses=\${address// /,}"
port=7777 # any port: nothing else listens in a node's fresh network namespace
if [ "$SLURM_PROCID" = 1 ]; then
  exec node -e '
    const server = require("node:net").createServer((socket) => {
      console.log("task=1 served=" + socket.remoteAddress);
      socket.end(process.env.SLURMD_NODENAME);
      server.close();
    }).listen(Number(process.argv[1]), process.argv[2]);
    setTimeout(() => process.exit(3), 20000).unref();
  ' "$port" "$address"
fi
peer=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 2p)
for try in $(seq 200); do
  if { exec 3<>"/dev/tcp/$peer/$port"; } 2>/dev/null; then break; fi
  [ "$try" = 200 ] && { echo "task 0 could not connect to $peer:$port" >&2; exit 4; }
  sleep 0.05
done
echo "task=0 peer=$peer heard_from=$(cat <&3)"
`;

describe('a two-node Slurm whose nodes are network namespaces', () => {
  let slurm: TestSlurm;
  beforeAll(async () => {
    slurm = await startSlurm({ nodes: 2 });
  }, 60_000);
  afterAll(() => slurm?.stop());

  it('lists both nodes idle in one partition, each at an address of its own', async () => {
    const cluster = await readClusterStatus(localSlurm(slurm.env));
    expect(cluster.partitions).toEqual([{ name: slurm.partition, state: 'up', nodes: ['hpcnode1', 'hpcnode2'], default: true }]);
    expect(cluster.nodes.map(({ name, state, cpus, partitions }) => ({ name, state, cpus, partitions }))).toEqual([
      { name: 'hpcnode1', state: 'idle', cpus: 1, partitions: [slurm.partition] },
      { name: 'hpcnode2', state: 'idle', cpus: 1, partitions: [slurm.partition] },
    ]);

    const shown = execFileSync('scontrol', ['show', 'node', '--oneliner'], { env: slurm.env, encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => ({ name: field(line, 'NodeName'), address: field(line, 'NodeAddr'), hostname: field(line, 'NodeHostName') }));
    expect(shown).toEqual(slurm.nodes.map(({ name, address }) => ({ name, address, hostname: name })));
    expect(slurm.nodes[0]!.address).not.toBe(slurm.nodes[1]!.address);
  });

  it('runs a job with a task on each node, each seeing only its own address and reaching the other over TCP', async () => {
    const task = join(slurm.dir, 'task.sh');
    writeFileSync(task, TASK);
    chmodSync(task, 0o755);
    const output = join(slurm.dir, 'two-nodes-%j.out');
    const submitted = execFileSync('sbatch', ['--nodes=2', '--ntasks-per-node=1', '--time=1', `--output=${output}`, `--wrap=srun ${task}`], { env: slurm.env, cwd: slurm.dir, encoding: 'utf8' });
    const job = /Submitted batch job (\d+)/.exec(submitted)![1]!;
    const ended = await waitFor(
      `job ${job} to end`,
      () => {
        const line = execFileSync('scontrol', ['show', 'job', '--oneliner', job], { env: slurm.env, encoding: 'utf8' });
        return /^(PENDING|CONFIGURING|RUNNING|COMPLETING)$/.test(field(line, 'JobState')) ? false : line;
      },
      30_000,
    );
    const printed = readFileSync(output.replace('%j', job), 'utf8');
    expect({ state: field(ended, 'JobState'), exitCode: field(ended, 'ExitCode') }, printed).toEqual({ state: 'COMPLETED', exitCode: '0:0' });

    const said = printed
      .trim()
      .split('\n')
      .map((line) => Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string])));
    const where = [0, 1].map((rank) => said.find((s) => s.task === String(rank) && s.node !== undefined)!);
    const [first, second] = slurm.nodes;
    expect(where).toEqual([
      { task: '0', node: first!.name, nodelist: 'hpcnode[1-2]', hostname: first!.name, addresses: first!.address },
      { task: '1', node: second!.name, nodelist: 'hpcnode[1-2]', hostname: second!.name, addresses: second!.address },
    ]);
    expect(said).toContainEqual({ task: '1', served: first!.address });
    expect(said).toContainEqual({ task: '0', peer: second!.name, heard_from: second!.name });
  });
});

function field(line: string, key: string): string {
  return new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1] ?? '';
}
