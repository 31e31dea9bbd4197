import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRun } from '../../shared/cluster-job.js';
import { ClusterStatus } from '../../shared/cluster-status.js';
import { runCli } from '../support/cli-process.js';
import { startLoginNode, type TestLoginNode } from '../support/slurm-login-node.js';
import { tempDir } from '../support/studio-fixture.js';

// `hpc-studio cluster … --ssh USER@HOST:PORT` against a real Slurm behind a real sshd (see
// slurm-login-node.ts): the app's agent on the login node reads the cluster as the user's own
// Slurm commands there would, with the SSH session's SLURM_CONF.

const RUN = ['--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '256', '--batch-size', '64'];

describe('`hpc-studio cluster … --ssh` through a login node', () => {
  let node: TestLoginNode;
  const work = tempDir('cluster-ssh-cli');
  const knownHosts = join(work, 'known_hosts');
  const sshFlags = () => ['--ssh', node.login, '--identity', node.sshd.clientKey, '--known-hosts', knownHosts, '--data-dir', work];
  const squeue = () => execFileSync('squeue', ['--noheader'], { env: node.slurm.env, encoding: 'utf8' }).trim();
  const withoutLoad = (status: ClusterStatus) => ({ ...status, nodes: status.nodes.map((n) => ({ ...n, load: null })) });

  beforeAll(async () => {
    node = await startLoginNode();
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a login node not in known_hosts without a terminal, before logging in', async () => {
    const result = await runCli(['cluster', 'status', ...sshFlags(), '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: cluster ssh://${node.login}: [127.0.0.1]:${node.sshd.port} is not in known_hosts (its ssh-ed25519 key is ${node.sshd.hostFingerprint()}); ` +
        "check that fingerprint with the node's administrator, then run on a terminal to accept it, or pass --accept-new-host\n",
    );
    expect(existsSync(knownHosts)).toBe(false);
    expect(node.logins()).toBe(0);
  });

  it("shows the partitions and nodes `--local` shows, read by the agent with the SSH session's SLURM_CONF", async () => {
    const local = await runCli(['cluster', 'status', '--local', '--json'], node.slurm.env);
    expect(local.code, local.stderr).toBe(0);

    const first = await runCli(['cluster', 'status', ...sshFlags(), '--accept-new-host', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`trusting the new host [127.0.0.1]:${node.sshd.port}`);
    const overSsh = ClusterStatus.parse(JSON.parse(first.stdout));
    expect(withoutLoad(overSsh)).toEqual(withoutLoad(ClusterStatus.parse(JSON.parse(local.stdout))));
    expect(overSsh.partitions).toEqual([{ name: node.slurm.partition, state: 'up', nodes: [node.slurm.node], default: true }]);

    // Known now: no flag, no question.
    const again = await runCli(['cluster', 'status', ...sshFlags()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${node.slurm.partition}\\*\\s+up\\s+${node.slurm.node}$`, 'm'));
    const environ = readFileSync(`/proc/${node.agentPid()}/environ`, 'utf8').split('\0');
    expect(environ).toEqual(expect.arrayContaining([`SLURM_CONF=${node.slurm.env.SLURM_CONF}`, `HPC_STUDIO_DATA_DIR=${node.dataDir}`, `USER=${node.sshd.user}`]));
  });

  it('refuses a malformed --ssh naming the flag and its form, or --ssh with --local, without connecting', async () => {
    const before = node.sshd.log().length;
    for (const value of [`${node.sshd.user}@127.0.0.1;id`, '-oProxyCommand=id', `${node.sshd.user}@127.0.0.1:99999`, '127.0.0.1', 'a b@127.0.0.1']) {
      const result = await runCli(['cluster', 'status', '--ssh', value, '--known-hosts', knownHosts]);
      expect(result.code, value).toBe(2);
      expect(result.stderr, value).toMatch(/^error: --ssh: must be USER@HOST\[:PORT\] \(port default 22, an IPv6 host in brackets\); /);
    }
    const both = await runCli(['cluster', 'status', '--local', '--ssh', node.login]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--local.*cannot be used with.*--ssh|--ssh.*cannot be used with.*--local/);
    expect(node.sshd.log().length).toBe(before);
  });

  it('refuses a job name or partition a shell, sbatch or an option parser would read as more, before connecting', async () => {
    const mark = join(work, 'ran');
    const before = node.sshd.log().length;
    for (const [flag, value] of [
      ['--name', `x; touch ${mark}`],
      ['--name', `job\n#SBATCH --wrap=touch ${mark}`],
      ['--name', `--wrap=touch ${mark}`],
      ['--partition', `$(touch ${mark})`],
      ['--partition', `-p debug --wrap=touch ${mark}`],
    ] as const) {
      const args = flag === '--name' ? [`--name=${value}`] : ['--name', 'fine', `--partition=${value}`];
      const result = await runCli(['cluster', 'submit', ...sshFlags(), ...args, ...RUN, '--json']);
      expect(result.code, value).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr, value).toBe(`error: ${flag}: must be a ${flag === '--name' ? 'job' : 'partition'} name: 1–64 letters, digits, '.', '_' or '-', not starting with '-' or '.'\n`);
    }
    expect(node.sshd.log().length).toBe(before);
    expect(squeue()).toBe('');
    expect(existsSync(mark)).toBe(false);
    for (const command of node.loginShellCommands()) expect(command).not.toMatch(/touch|wrap|SBATCH/);
  });

  it('runs a 1-task job submitted with --ssh to COMPLETED, as the user who logged in, and `cluster runs --ssh` shows it', async () => {
    const submitted = await runCli(['cluster', 'submit', ...sshFlags(), '--name', 'over-ssh', ...RUN, '--time', '5', '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const run = ClusterRun.parse(JSON.parse(submitted.stdout));
    expect(run.spec).toMatchObject({ name: 'over-ssh', nodes: 1, tasksPerNode: 1 });
    const jobId = run.jobs[0]!.jobId;

    let listed: ClusterRun | undefined;
    for (const deadline = Date.now() + 45_000; listed?.jobs.at(-1)!.state !== 'COMPLETED'; ) {
      if (Date.now() > deadline) throw new Error(`job ${jobId} never completed: ${JSON.stringify(listed?.jobs)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const runs = await runCli(['cluster', 'runs', ...sshFlags(), '--json']);
      expect(runs.code, runs.stderr).toBe(0);
      listed = ClusterRun.array().parse(JSON.parse(runs.stdout)).find((r) => r.id === run.id);
    }
    expect(listed.jobs).toMatchObject([{ jobId, state: 'COMPLETED', resume: false }]);
    expect(listed.runId).toMatch(/^run-/);
    // The run lives on the login node's side, written by the job's task as the user who logged in.
    const log = join(node.dataDir, 'cluster-runs', run.id, 'runs', listed.runId!, 'run.log.jsonl');
    expect(statSync(log).uid).toBe(Number(execFileSync('id', ['-u', node.sshd.user], { encoding: 'utf8' })));
    expect(readFileSync(log, 'utf8')).toMatch(/"type":"step"/);
  }, 60_000);

  it('says the controller does not answer over SSH too', async () => {
    await node.slurm.kill('slurmctld');
    const result = await runCli(['cluster', 'status', ...sshFlags(), '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: no Slurm cluster reachable: the Slurm controller does not answer \(`(sinfo|squeue|scontrol)`: .+\); check that slurmctld runs/);
  });
});
