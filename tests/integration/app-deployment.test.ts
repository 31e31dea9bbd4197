import { describe, expect, it } from 'vitest';
import type { DeploymentStatus } from '../../shared/deployment.js';
import { encodeRowBatch } from '../../host/deployment/row-batch-encoder.js';
import { packageVersion } from '../../host/package-root.js';
import { createStudioHost } from '../../host/studio-host.js';
import { forkTrainer } from '../../host/trainer-process.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { startAgent } from '../support/agent-process.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir, TRAINER_ENTRY } from '../support/studio-fixture.js';

describe("the app's Deploy API", () => {
  it('deploys a model to a Peers-panel agent and a predictor here, spreads batches over both and pushes per-peer stats', async () => {
    const dataDir = tempDir('app-deploy');
    const [trained, agent] = await Promise.all([
      runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--limit', '200', '--epochs', '1', '--json', '--data-dir', dataDir]),
      startAgent(),
    ]);
    const runId = jsonLines(trained.stdout).find((l) => l.type === 'done')!.runId as string;
    const host = createStudioHost({ dataDir, version: packageVersion(), spawnTrainer: forkTrainer(TRAINER_ENTRY) });
    const pushed: DeploymentStatus[] = [];
    host.service.onEvent((name, payload) => {
      if (name === 'deployment-stats') pushed.push(payload as DeploymentStatus);
    });
    try {
      await host.service.addPeer({ url: agent.listening.url, token: agent.listening.token! });
      const started = await host.service.startDeployment({ modelId: runId, peers: [agent.listening.url, 'local', 'ws://127.0.0.1:9'] });
      expect(started.modelId).toBe(runId);
      // A peer that is not in the Peers panel (no token kept) is shown dead, the others serve.
      expect(started.peers.map((p) => [p.peer, p.state])).toEqual([
        ['local', 'serving'],
        [agent.listening.url, 'serving'],
        ['ws://127.0.0.1:9', 'dead'],
      ]);

      const random = seededRandom(5);
      const rows = Array.from({ length: 16 }, () => Array.from({ length: 784 }, () => random()));
      const answers = await Promise.all(Array.from({ length: 8 }, () => host.service.predictDeployment({ deploymentId: started.deploymentId, batch: encodeRowBatch(rows) })));
      for (const a of answers) expect(a.classIds).toEqual(answers[0]!.classIds);
      expect(new Set(answers.map((a) => a.peer))).toEqual(new Set(['local', agent.listening.url]));

      const status = await host.service.getDeployment({ deploymentId: started.deploymentId });
      expect(status.peers.filter((p) => p.state === 'serving').reduce((n, p) => n + p.rows, 0)).toBe(8 * 16);
      expect(pushed.length).toBeGreaterThan(0);
      expect(pushed[0]!.deploymentId).toBe(started.deploymentId);

      await host.service.stopDeployment({ deploymentId: started.deploymentId });
      await expect(host.service.getDeployment({ deploymentId: started.deploymentId })).rejects.toMatchObject({ error: { code: 'not-found' } });
    } finally {
      host.service.undeployAll();
      await agent.stop();
    }
  });
});
