import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStatus } from '../../shared/cluster-status.js';
import { runCli } from '../support/cli-process.js';
import { startLoginNode, type TestLoginNode } from '../support/slurm-login-node.js';
import { tempDir } from '../support/studio-fixture.js';

// `hpc-studio cluster … --ssh USER@HOST:PORT` against a real Slurm behind a real sshd (see
// slurm-login-node.ts): the app's agent on the login node reads the cluster as the user's own
// Slurm commands there would, with the SSH session's SLURM_CONF.

describe('`hpc-studio cluster status --ssh` through a login node', () => {
  let node: TestLoginNode;
  const work = tempDir('cluster-ssh-cli');
  const knownHosts = join(work, 'known_hosts');
  const sshFlags = () => ['--ssh', node.login, '--identity', node.sshd.clientKey, '--known-hosts', knownHosts, '--data-dir', work];
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

  it('says the controller does not answer over SSH too', async () => {
    await node.slurm.kill('slurmctld');
    const result = await runCli(['cluster', 'status', ...sshFlags(), '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: no Slurm cluster reachable: the Slurm controller does not answer \(`(sinfo|squeue|scontrol)`: .+\); check that slurmctld runs/);
  });
});
