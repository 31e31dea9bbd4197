import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CLUSTER, type ClusterRun } from '../../shared/cluster-job.js';
import { createStudioHost, type StudioHost } from '../../host/studio-host.js';
import { forkTrainer } from '../../host/trainer-process.js';
import { startSlurm, type TestSlurm } from '../support/slurm-cluster.js';
import { CLI, collectRecords, smallRun, tempDir, TRAINER_ENTRY } from '../support/studio-fixture.js';

// The app on a cluster's login node (here: a real single-node Slurm 22.05) submits a run as a job
// and follows it: the job's log is copied into the app's runs as it grows, so the run's page
// draws it live; the app is closed mid-run and opened again, and catches up without a gap.

describe('following a cluster run', () => {
  let slurm: TestSlurm;
  const dataDir = tempDir('follow');
  const hosts: StudioHost[] = [];
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);
  afterAll(async () => {
    for (const host of hosts) host.clusterRuns.stop();
    await slurm?.stop();
  });

  const openApp = () => {
    const host = createStudioHost({ dataDir, version: '0.0.0-test', spawnTrainer: forkTrainer(TRAINER_ENTRY), env: slurm.env, cliCommand: [process.execPath, CLI] });
    hosts.push(host);
    return host;
  };
  const until = async <T>(what: string, read: () => Promise<T> | T, ok: (value: T) => boolean, timeoutMs = 120_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  it("shows the job's curves as it trains, and catches up after the app was closed", async () => {
    const app = openApp();
    const submitted = await app.service.submitClusterJob({
      target: LOCAL_CLUSTER,
      spec: { name: 'follow', nodes: 1, tasksPerNode: 1, gpusPerNode: 0, timeLimitMin: 5, config: smallRun({ epochs: 8, limit: 3000 }) },
    });
    const clusterRun = async () => (await app.service.listClusterRuns({ target: LOCAL_CLUSTER })).find((r) => r.id === submitted.id)!;
    const started = await until('the job to start training', clusterRun, (r: ClusterRun) => r.runId !== null);
    const runId = started.runId!;

    const records = collectRecords(app);
    expect(await app.service.followClusterRun({ target: LOCAL_CLUSTER, clusterRunId: submitted.id })).toEqual({ runId });
    app.clusterRuns.start();
    await until('steps to stream in', () => records.filter((r) => r.type === 'step').length, (n) => n >= 10);
    const listed = (await app.service.listRuns({})).find((r) => r.id === runId)!;
    expect(listed.status).toBe('running');

    // Closed mid-run: nothing is copied while the app is away.
    app.clusterRuns.stop();
    const clusterLog = join(dataDir, 'cluster-runs', submitted.id, 'runs', runId, 'run.log.jsonl');
    const localLog = join(dataDir, 'runs', runId, 'run.log.jsonl');
    await until('the job to complete', clusterRun, (r: ClusterRun) => r.jobs.at(-1)!.state === 'COMPLETED', 180_000);
    expect(readFileSync(localLog).length).toBeLessThan(readFileSync(clusterLog).length);

    const reopened = openApp();
    reopened.clusterRuns.start();
    await until('the copy to catch up', () => readFileSync(localLog).length, (n) => n === readFileSync(clusterLog).length);
    expect(readFileSync(localLog).equals(readFileSync(clusterLog))).toBe(true);
    const detail = await reopened.service.getRun({ runId });
    expect(detail.summary.status).toBe('done');
    expect(detail.summary.epoch).toBe(8);
    expect(detail.summary.testAccuracy).toBeGreaterThan(0.5);
  }, 300_000);
});
