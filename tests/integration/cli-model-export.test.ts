import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../shared/model-package.js';
import { ModelStore } from '../../host/model-store.js';
import { RunStore } from '../../host/run-store.js';
import { readModelPackage } from '../../trainer/compression/model-package-file.js';
import { modelWithTensors } from '../../trainer/compression/package-model.js';
import type { NamedTensor } from '../../trainer/compression/magnitude-pruning.js';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '../../trainer/compression/tfjs-export.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { sameTensors } from '../support/compression-fixtures.js';
import { tempDir } from '../support/studio-fixture.js';

const dataDir = tempDir('cli-model-export');
let sourceId: string;
let quantizedId: string;
let prunedId: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const train = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '1200', '--json', '--data-dir', dataDir]);
  expect(train.code).toBe(0);
  sourceId = jsonLines(train.stdout).at(-1)!.runId as string;
  const quantize = await runCli(['quantize', sourceId, '--scheme', 'per-tensor', '--calibration-samples', '50', '--json', '--data-dir', dataDir]);
  expect(quantize.code).toBe(0);
  quantizedId = jsonLines(quantize.stdout).at(-1)!.runId as string;
  const prune = await runCli(['prune', sourceId, '--sparsity', '0.5', '--finetune-epochs', '0', '--json', '--data-dir', dataDir]);
  expect(prune.code).toBe(0);
  prunedId = jsonLines(prune.stdout).at(-1)!.runId as string;
}, 30_000);

/** Logits of `tensors`' network on 64 fixed inputs. */
function predict(manifest: ModelManifest, tensors: readonly NamedTensor[], x: tf.Tensor2D): Float32Array {
  const model = modelWithTensors(manifest.architecture, tensors);
  const out = model.apply(x);
  const values = out.dataSync() as Float32Array;
  tf.dispose([out, ...model.variables]);
  return values;
}

const inputs = () => tf.randomUniform([64, 784], 0, 1, 'float32', 11) as tf.Tensor2D;

describe('hpc-studio export', () => {
  it('exports a variant as an hpc-model package that reads back to the same tensors, manifest and predictions', async () => {
    const out = join(tempDir('export'), 'int8');
    const cli = await runCli(['export', `${quantizedId}.int8`, '--out', out, '--json', '--data-dir', dataDir]);
    expect(cli.code).toBe(0);
    const stored = new ModelStore(new RunStore(dataDir), () => false).open(`${quantizedId}.int8`);
    expect(JSON.parse(cli.stdout)).toMatchObject({ type: 'done', modelId: `${quantizedId}.int8`, format: 'hpc-model', sha256: stored.manifest.weights.sha256, lineage: { sourceRunId: sourceId } });
    const imported = readModelPackage(out);
    expect(imported.manifest).toEqual(stored.manifest);
    expect(sameTensors(imported.tensors, stored.tensors)).toBe(true);
    const x = inputs();
    expect(Buffer.from(predict(imported.manifest, imported.tensors, x).buffer).equals(Buffer.from(predict(stored.manifest, stored.tensors, x).buffer))).toBe(true);
    x.dispose();

    const own = join(tempDir('export'), 'source');
    expect((await runCli(['export', sourceId, '--out', own, '--data-dir', dataDir])).stdout).toMatch(new RegExp(`^wrote ${sourceId} \\(mlp, fp32, from run ${sourceId}\\) to ${own} as hpc-model \\(weights sha256 [0-9a-f]{64}\\)\\n$`));
    expect(readModelPackage(own).manifest.lineage.compression).toEqual({ kind: 'none' });
  }, 30_000);

  it('exports a per-tensor int8 variant to TensorFlow.js: tfjs-layers loads it and predicts the same classes; the manifest rides in userDefinedMetadata', async () => {
    const out = join(tempDir('export'), 'tfjs');
    const cli = await runCli(['export', `${quantizedId}.int8`, '--out', out, '--format', 'tfjs', '--data-dir', dataDir]);
    expect(cli.code).toBe(0);
    const modelJson = JSON.parse(readFileSync(join(out, TFJS_MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
    const stored = readModelPackage(join(dataDir, 'runs', quantizedId, 'models', 'int8'));
    expect(modelJson.userDefinedMetadata).toEqual({
      hpcStudio: expect.objectContaining({ id: `${quantizedId}.int8`, lineage: stored.manifest.lineage, metrics: stored.manifest.metrics, packageSha256: stored.manifest.weights.sha256 }),
    });
    const shard = readFileSync(join(out, TFJS_WEIGHTS_FILE));
    const loaded = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer,
      }),
    );
    const x = inputs();
    const theirs = loaded.predict(x) as tf.Tensor2D;
    const ours = tf.tensor2d(predict(stored.manifest, stored.tensors, x), [64, 10]);
    expect(tf.max(tf.abs(tf.sub(theirs, ours))).dataSync()[0]).toBeLessThan(1e-4);
    expect([...tf.argMax(theirs, 1).dataSync()]).toEqual([...tf.argMax(ours, 1).dataSync()]);
    tf.dispose([x, theirs, ours]);
    loaded.dispose();
  }, 30_000);

  it('refuses with exit 2: a sparse model as tfjs (use hpc-model), an existing folder, an unknown variant, a corrupted package; writes nothing', async () => {
    const parent = tempDir('export');
    const refused = async (args: string[]) => {
      const cli = await runCli(['export', ...args, '--json', '--data-dir', dataDir]);
      expect(cli.code).toBe(2);
      return jsonLines(cli.stdout)[0]!;
    };
    expect(await refused([`${prunedId}.sparse-50`, '--out', join(parent, 'a'), '--format', 'tfjs'])).toMatchObject({
      field: 'format',
      message: expect.stringMatching(/^--format tfjs: TensorFlow\.js's format cannot hold dense1\/kernel \(sparse, \d+ stored values in CSR\).*Export the model in the app's own format \(hpc-model\) instead\.$/),
    });
    mkdirSync(join(parent, 'taken'));
    expect(await refused([sourceId, '--out', join(parent, 'taken')])).toMatchObject({ field: 'out', message: expect.stringMatching(/already exists; an export never overwrites/) });
    expect(await refused([`${quantizedId}.int4`, '--out', join(parent, 'b')])).toMatchObject({
      field: 'model',
      message: `model: run ${quantizedId} has no variant "int4"; it has: fp32, int8`,
    });
    const weights = join(dataDir, 'runs', prunedId, 'models', 'sparse-50', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    writeFileSync(weights, bytes);
    expect(await refused([`${prunedId}.sparse-50`, '--out', join(parent, 'c')])).toMatchObject({ field: 'model', message: expect.stringMatching(/weights\.bin is corrupted: its sha256 is/) });
    for (const name of ['a', 'b', 'c']) expect(existsSync(join(parent, name))).toBe(false);
  }, 30_000);
});
