import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR, RunConfig } from '../../shared/run-config.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { ModelStore } from '../../host/model-store.js';
import { RunStore } from '../../host/run-store.js';
import { writeCheckpoint } from '../../trainer/checkpoint.js';
import { buildModelPackage, writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { encodeModelTensors } from '../../trainer/compression/package-tensor-codec.js';
import { freshPosition } from '../../trainer/training-loop.js';
import { LINEAGE, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors, sameTensors } from '../support/compression-fixtures.js';

const CONFIG = RunConfig.parse({ dataset: { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR }, model: 'mlp', epochs: 1, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 1 });
const DATASET = { task: 'classification' as const, inputShape: [28, 28, 1], classes: 10, trainSize: 100, validationSize: 10, testSize: 10 };
const tensors = parameterTensors(MLP_SHAPES, 4);

let store: RunStore;
let trained: string;
let compressed: string;

/** The ApiError `open` throws, as the CLI and API report it. */
function refusal(models: ModelStore, id: string): ApiError['error'] {
  try {
    models.open(id);
  } catch (error) {
    if (error instanceof ApiError) return error.error;
    throw error;
  }
  throw new Error(`${id} opened`);
}

beforeAll(() => {
  store = new RunStore(mkdtempSync(join(tmpdir(), 'model-store-')));
  const a = store.create(CONFIG);
  trained = a.runId;
  a.log.append({ type: 'started', time: 1, dataset: DATASET, totalSteps: 4, stepsPerEpoch: 4, elapsedMs: 0 });
  a.log.append({ type: 'done', time: 2, step: 4, testLoss: 0.5, testAccuracy: 0.8 });
  a.log.append({ type: 'status', time: 3, status: 'done' });
  a.log.close();
  writeCheckpoint(store.paths(trained).checkpoints, { runId: trained, config: CONFIG, position: freshPosition(CONFIG), optimizerUpdates: 4, tensors });

  const b = store.create({ ...CONFIG, compression: { kind: 'quantization', sourceRunId: trained, dtypes: ['int8'], scheme: 'per-channel', symmetric: true, calibrationSamples: 10 } });
  compressed = b.runId;
  b.log.append({ type: 'status', time: 3, status: 'done' });
  b.log.close();
  for (const [label, encoding] of [['fp32', 'float32'], ['int8', { int8: { granularity: 'per-channel', symmetric: true } }]] as const) {
    const pkg = buildModelPackage({ id: `${compressed}.${label}`, architecture: MLP_ARCHITECTURE, tensors: encodeModelTensors(tensors, encoding), metrics: {}, lineage: LINEAGE });
    writeModelPackage(join(store.paths(compressed).models, label), pkg);
  }
});

describe('ModelStore', () => {
  it("opens a training run's own fp32 model from its checkpoint, and a compression run's variant from its package", () => {
    const models = new ModelStore(store, () => false);
    const own = models.open(trained);
    expect(own.manifest).toMatchObject({ id: trained, architecture: MLP_ARCHITECTURE, metrics: { testAccuracy: 0.8, inferencePath: 'fp32' } });
    expect(sameTensors(own.tensors, tensors)).toBe(true);
    expect(models.open(`${compressed}.fp32`).manifest.id).toBe(`${compressed}.fp32`);
    expect(models.labels(compressed)).toEqual(['fp32', 'int8']);
  });

  it('refuses an unknown run, an unknown variant (listing the ones there are) and a compression run named without a variant', () => {
    const models = new ModelStore(store, () => false);
    expect(refusal(models, 'run-20990101-000000-abcd')).toMatchObject({ code: 'not-found', message: 'model: no run named "run-20990101-000000-abcd"' });
    expect(refusal(models, `${compressed}.int4`)).toMatchObject({ code: 'not-found', message: `model: run ${compressed} has no variant "int4"; it has: fp32, int8` });
    expect(refusal(models, compressed).message).toBe(`model: run ${compressed} is a compression run; name one of its variants: ${compressed}.fp32, ${compressed}.int8`);
    expect(refusal(models, '../etc').message).toMatch(/^model: "..\/etc" is not a model id/);
  });

  it('refuses a run that is still training: its weights are still changing', () => {
    const models = new ModelStore(store, (id) => id === trained);
    expect(refusal(models, trained)).toMatchObject({ code: 'invalid', message: `model: run ${trained} is still running; its models are ready once it is done`, fields: [{ field: 'model' }] });
  });

  it("refuses a variant whose weights.bin no longer matches its manifest's sha256", () => {
    const file = join(store.paths(compressed).models, 'int8', 'weights.bin');
    const original = readFileSync(file);
    const corrupted = Buffer.from(original);
    corrupted[100] = corrupted[100]! ^ 0xff;
    writeFileSync(file, corrupted);
    try {
      expect(refusal(new ModelStore(store, () => false), `${compressed}.int8`).message).toMatch(
        new RegExp(`^model: ${compressed}\\.int8 cannot be loaded: .*weights\\.bin is corrupted: its sha256 is [0-9a-f]{64}, model\\.json says [0-9a-f]{64}$`),
      );
    } finally {
      writeFileSync(file, original);
    }
  });
});
