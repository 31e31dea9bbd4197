import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATH, VERSION_HEADER } from '../../shared/agent-protocol.js';
import { LOCAL_CLUSTER, type ClusterJobSpec, type ClusterRun, type ClusterTarget } from '../../shared/cluster-job.js';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { ApiError, ServerMessage, type RpcResponse } from '../../shared/rpc-protocol.js';
import { connectAgentOverSsh, openSshPeer } from '../../host/ssh/remote-agent.js';
import { forwardedClusterAccess } from '../../host/cluster/cluster-gateway.js';
import { packageVersion } from '../../host/package-root.js';
import { isAlive } from '../../host/process-alive.js';
import { createStudioHost } from '../../host/studio-host.js';
import { forkTrainer } from '../../host/trainer-process.js';
import { connectApiSocket } from '../../host/web/api-socket.js';
import { startLoginNode, type TestLoginNode } from '../support/slurm-login-node.js';
import { tempDir, TRAINER_ENTRY, waitFor } from '../support/studio-fixture.js';

// The cluster methods forwarded to the app's agent on a login node: a real Slurm behind a real
// sshd (see slurm-login-node.ts), reached from the CLI's side (forwardedClusterAccess over
// connectAgentOverSsh) and from the app's (the StudioService API, through the Peers panel).

const VERSION = packageVersion();
const MARK = join(tempDir('cluster-ssh-mark'), 'ran');
/** Names that must never reach a shell, sbatch's directive parser or an option parser. */
const HOSTILE: { field: 'name' | 'partition'; value: string }[] = [
  { field: 'name', value: `x; touch ${MARK}` },
  { field: 'name', value: 'job\n#SBATCH --wrap=touch ' + MARK },
  { field: 'name', value: `--wrap=touch ${MARK}` },
  { field: 'partition', value: `$(touch ${MARK})` },
  { field: 'partition', value: `debug\`touch ${MARK}\`` },
];

describe('a Slurm cluster through the agent on its login node', () => {
  let node: TestLoginNode;
  const work = tempDir('cluster-ssh-gateway');
  const knownHosts = join(work, 'known_hosts');
  const squeue = () => execFileSync('squeue', ['--noheader', '--format=%i %u %j'], { env: node.slurm.env, encoding: 'utf8' }).trim();
  const spec = (patch: Record<string, unknown> = {}) =>
    ({ name: 'tiny', nodes: 1, tasksPerNode: 1, gpusPerNode: 0, timeLimitMin: 5, config: { ...DEFAULT_RUN_CONFIG, epochs: 1, limit: 256 }, ...patch }) as ClusterJobSpec;
  const sshOptions = () => ({
    target: `ssh://${node.login}`,
    identityFile: node.sshd.clientKey,
    knownHostsFile: knownHosts,
    confirmUnknownHost: async () => true,
    version: VERSION,
    bundleCacheDir: join(work, 'agent-bundles'),
  });

  beforeAll(async () => {
    node = await startLoginNode();
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses job names and partitions with shell metacharacters, newlines or --wrap= before anything runs, on this side and in the agent', async () => {
    const connection = await connectAgentOverSsh(sshOptions());
    const peer = await openSshPeer(sshOptions());
    const raw = await connectApiSocket(`${peer.url}${AGENT_API_PATH}`, { authorization: `Bearer ${peer.token}`, [VERSION_HEADER]: VERSION });
    const responses: RpcResponse[] = [];
    raw.channel.onMessage((frame) => {
      for (const message of [frame].flat() as unknown[]) {
        const parsed = ServerMessage.parse(message);
        if (parsed.kind === 'response') responses.push(parsed);
      }
    });
    try {
      const cluster = forwardedClusterAccess(async () => connection.client, `ssh://${node.login}`);
      let id = 0;
      for (const { field, value } of HOSTILE) {
        const bad = spec({ [field]: value });
        // The CLI's and the app's side: the client checks params against the contract before sending.
        for (const call of [() => cluster.previewClusterJob({ spec: bad }), () => cluster.submitClusterJob({ spec: bad })]) {
          const error = await call().then(() => null, (e: unknown) => e);
          expect(error, value).toBeInstanceOf(ApiError);
          expect((error as ApiError).error).toMatchObject({ code: 'invalid', fields: [{ field: `spec.${field}` }] });
          expect((error as ApiError).message).toContain("letters, digits, '.', '_' or '-', not starting with '-'");
        }
        // The agent's side, sent past any client check: its schema refuses the same.
        raw.channel.send({ kind: 'request', id: ++id, method: 'submitClusterJob', params: { target: LOCAL_CLUSTER, spec: bad } });
        const answer = await waitFor('the agent to answer', () => responses.find((r) => r.id === id));
        expect(answer.ok, value).toBe(false);
        expect(answer.ok ? null : answer.error).toMatchObject({ code: 'invalid', fields: [{ field: `spec.${field}` }] });
      }
    } finally {
      raw.socket.close();
      await peer.close();
      connection.close();
    }
    expect(squeue()).toBe('');
    expect(existsSync(MARK)).toBe(false);
    expect(existsSync(join(node.dataDir, 'cluster-runs'))).toBe(false);
    // What sshd handed the login shell: fixed commands with quoted words only, none carrying a name.
    const commands = node.loginShellCommands();
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect(command).toMatch(/^-c '(node|mkdir|mv)' /);
      expect(command).not.toMatch(/wrap|touch|SBATCH|\n/);
    }
    const launcher = new RegExp(`^-c 'node' '${node.sshd.home}/\\.hpc-studio/agent/[^/']+/dist/host/ssh/agent-launcher\\.js'$`);
    expect(commands.filter((c) => launcher.test(c)).length).toBeGreaterThan(0);
  });

  it('in the app, reaches a login node only once it is a peer, keeps one connection, makes it again after it dropped, and follows a run through it', async () => {
    const dataDir = tempDir('cluster-ssh-app');
    const host = createStudioHost({ dataDir, version: VERSION, spawnTrainer: forkTrainer(TRAINER_ENTRY), knownHostsFile: join(dataDir, 'known_hosts') });
    const target: ClusterTarget = { kind: 'ssh', url: `ssh://${node.login}` };
    try {
      const refused = await host.service.getClusterStatus({ target }).then(() => null, (e: unknown) => e as ApiError);
      expect(refused?.error).toMatchObject({ code: 'invalid', fields: [{ field: 'target' }] });
      expect(refused?.message).toBe(`target: ssh://${node.login} is not one of your peers: add the login node in the Peers panel first (its host key is confirmed there), then choose it as the cluster`);

      const added = await host.service.addSshPeer({ host: '127.0.0.1', port: node.sshd.port, user: node.sshd.user, identityFile: node.sshd.clientKey, trust: node.sshd.hostFingerprint() });
      expect(added).toMatchObject({ kind: 'added', peer: { url: target.url, state: 'online' } });

      const beforeCalls = node.logins();
      const status = await host.service.getClusterStatus({ target });
      expect(status.kind === 'status' && status.status.partitions.map((p) => p.name)).toEqual([node.slurm.partition]);
      const preview = await host.service.previewClusterJob({ target, spec: spec() });
      // Written by the agent on the login node: its own CLI starts each task.
      expect(preview.script).toContain(`${node.sshd.home}/.hpc-studio/agent/`);
      expect(preview.clusterRunId).toMatch(/^tiny-\d{8}-\d{6}-[0-9a-f]{4}$/);
      const run = await host.service.submitClusterJob({ target, spec: spec(), clusterRunId: preview.clusterRunId });
      expect(run).toMatchObject({ id: preview.clusterRunId, jobs: [{ resume: false }] });
      const listed = await host.service.listClusterRuns({ target });
      expect(listed.map((r) => [r.id, r.jobs[0]!.jobId])).toEqual([[run.id, run.jobs[0]!.jobId]]);
      // Submitted as the user who logged in, under that user's data directory on the login node.
      const uid = Number(execFileSync('id', ['-u', node.sshd.user], { encoding: 'utf8' }));
      expect(statSync(join(node.dataDir, 'cluster-runs', run.id, 'spec.json')).uid).toBe(uid);
      expect(node.logins() - beforeCalls).toBe(1);

      const dropped = node.agentPid();
      process.kill(dropped, 'SIGKILL');
      await waitFor('the agent to be gone', () => !isAlive(dropped), 10_000);
      // The first call may still meet the closing connection; the next ones connect afresh.
      let runs: ClusterRun[] | null = null;
      for (const deadline = Date.now() + 20_000; runs === null && Date.now() < deadline; ) {
        runs = await host.service.listClusterRuns({ target }).catch(() => null);
        if (runs === null) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(runs?.map((r) => r.id)).toEqual([run.id]);
      expect(node.agentPid()).not.toBe(dropped);
      expect(node.logins() - beforeCalls).toBe(2);

      // Followed through the same link: the job's log, copied from the login node into the app's runs.
      let ended: ClusterRun | undefined;
      for (const deadline = Date.now() + 30_000; ended?.jobs.at(-1)!.state !== 'COMPLETED'; ) {
        if (Date.now() > deadline) throw new Error(`the job never completed: ${JSON.stringify(ended?.jobs)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        ended = (await host.service.listClusterRuns({ target })).find((r) => r.id === run.id);
      }
      expect(await host.service.followClusterRun({ target, clusterRunId: run.id })).toEqual({ runId: ended.runId });
      host.clusterRuns.start();
      const onNode = readFileSync(join(node.dataDir, 'cluster-runs', run.id, 'runs', ended.runId!, 'run.log.jsonl'));
      const copy = join(dataDir, 'runs', ended.runId!, 'run.log.jsonl');
      await waitFor('the copy to catch up', () => existsSync(copy) && readFileSync(copy).length === onNode.length, 20_000);
      expect(readFileSync(copy).equals(onNode)).toBe(true);
      expect((await host.service.getRun({ runId: ended.runId! })).summary.status).toBe('done');
      expect(node.logins() - beforeCalls).toBe(2);

      host.clusters.close();
      await expect(host.service.listClusterRuns({ target })).rejects.toThrow('the app is shutting down');
    } finally {
      host.clusterRuns.stop();
      host.clusters.close();
      host.peers.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
