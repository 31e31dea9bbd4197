import { describe, expect, it } from 'vitest';
import { ServedModels } from '../../host/deployment/served-models.js';
import { encodeRowBatch } from '../../host/deployment/row-batch-encoder.js';
import { ModelStore } from '../../host/model-store.js';
import { RunStore } from '../../host/run-store.js';
import { forkTrainer, type TrainerProcess } from '../../host/trainer-process.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir, TRAINER_ENTRY } from '../support/studio-fixture.js';

describe("an agent's served models", () => {
  it('share one predictor between deploys of one package, and start a fresh one after it crashed', async () => {
    const dataDir = tempDir('served');
    const trained = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'linear', '--limit', '200', '--epochs', '1', '--json', '--data-dir', dataDir]);
    const runId = jsonLines(trained.stdout).find((l) => l.type === 'done')!.runId as string;
    const model = new ModelStore(new RunStore(dataDir), () => false).open(runId);
    const children: TrainerProcess[] = [];
    const spawn = forkTrainer(TRAINER_ENTRY);
    const served = new ServedModels({ spawnTrainer: (env) => children[children.push(spawn(env)) - 1]! });
    const params = { manifest: model.manifest, weightsBase64: Buffer.from(model.weights).toString('base64') };
    const batch = encodeRowBatch([new Array(784).fill(0.5)]);
    try {
      const first = await served.deploy(params);
      expect(first).toMatchObject({ modelId: runId, sha256: model.manifest.weights.sha256 });
      await served.deploy(params);
      expect(children).toHaveLength(1);
      served.undeploy(runId);
      expect((await served.predict({ modelId: runId, batch })).classIds).toHaveLength(1);

      const exited = new Promise((resolve) => children[0]!.onExit(resolve));
      children[0]!.kill('SIGKILL');
      await exited;
      await expect(served.predict({ modelId: runId, batch })).rejects.toMatchObject({ error: { code: 'not-found' } });
      await served.deploy(params);
      expect(children).toHaveLength(2);
      expect((await served.predict({ modelId: runId, batch })).outputs[0]).toHaveLength(10);
      served.undeploy(runId);
      expect(served.list()).toEqual([]);
    } finally {
      served.stopAll();
    }
  });
});
