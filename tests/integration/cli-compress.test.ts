import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirLock } from '../../host/run-lock.js';
import { readModelPackage } from '../../trainer/compression/model-package-file.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { int8MlpPath } from '../support/compression-fixtures.js';
import { tempDir } from '../support/studio-fixture.js';

const dataDir = tempDir('cli-compress');
let sourceId: string;

type Summary = { label: string; modelId: string; dtype?: string; sparsity?: number; sizeBytes: number; testAccuracy: number; samplesPerSec: number };

beforeAll(async () => {
  const cli = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '2000', '--json', '--data-dir', dataDir]);
  expect(cli.code).toBe(0);
  sourceId = jsonLines(cli.stdout).at(-1)!.runId as string;
}, 30_000);

describe('hpc-studio quantize and prune', () => {
  it('quantizes a finished run: variant events, then a done line with the new run and fp32, int8 (≤ 0.3× the size) and float16; listed in runs list', async () => {
    const cli = await runCli(['quantize', sourceId, '--dtype', 'int8,float16', '--calibration-samples', '200', '--json', '--data-dir', dataDir]);
    expect(cli.code).toBe(0);
    const events = jsonLines(cli.stdout);
    // Each model is announced when stored, then again with its speed once all three were timed side by side.
    const announced = events.filter((e) => e.type === 'variant').map((e) => e.variant as { label: string; metrics: { samplesPerSec?: number } });
    expect(announced.map((v) => [v.label, v.metrics.samplesPerSec !== undefined])).toEqual([
      ['fp32', false], ['int8', false], ['float16', false],
      ['fp32', true], ['int8', true], ['float16', true],
    ]);
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    const runId = done.runId as string;
    expect(runId).not.toBe(sourceId);
    const [fp32, int8, float16] = done.variants as Summary[];
    expect(fp32).toMatchObject({ label: 'fp32', modelId: `${runId}.fp32`, dtype: 'float32', sizeBytes: 235_146 * 4 });
    expect(int8).toMatchObject({ label: 'int8', modelId: `${runId}.int8`, dtype: 'int8' });
    expect(float16).toMatchObject({ label: 'float16', dtype: 'float16' });
    expect(int8!.sizeBytes).toBeLessThanOrEqual(0.3 * fp32!.sizeBytes);
    expect(float16!.sizeBytes).toBeLessThanOrEqual(0.51 * fp32!.sizeBytes);
    for (const v of [fp32, int8, float16]) {
      expect(v!.testAccuracy).toBeGreaterThan(0.5);
      expect(v!.testAccuracy).toBeLessThanOrEqual(1);
      expect(v!.samplesPerSec).toBeGreaterThan(0);
    }
    // Quantization costs little accuracy on this model.
    expect(Math.abs(int8!.testAccuracy - fp32!.testAccuracy)).toBeLessThan(0.02);

    const pkg = readModelPackage(join(dataDir, 'runs', runId, 'models', 'int8'));
    expect(pkg.manifest.lineage).toMatchObject({ sourceRunId: sourceId, compression: { kind: 'quantization', dtype: 'int8', granularity: 'per-channel', symmetric: true, calibrationSamples: 166 } });
    expect(pkg.manifest.metrics).toMatchObject({ inferencePath: int8MlpPath(), samplesPerSec: int8!.samplesPerSec });
    expect(pkg.manifest.activations!.map((a) => a.layer)).toEqual(['input', 'dense1', 'dense2', 'dense3']);
    expect(pkg.manifest.metrics.layerErrors).toHaveLength(6);

    const list = await runCli(['runs', 'list', '--json', '--data-dir', dataDir]);
    const runs = JSON.parse(list.stdout) as { id: string; status: string; config: { compression?: { sourceRunId: string } } }[];
    expect(runs.find((r) => r.id === runId)).toMatchObject({ status: 'done', config: { compression: { kind: 'quantization', sourceRunId: sourceId } } });

    const table = await runCli(['quantize', sourceId, '--scheme', 'per-tensor', '--asymmetric', '--data-dir', dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^fp32 +918\.5 KiB +1\.00× +\d+\.\d\d %/m);
    const path = int8MlpPath() === 'int8' ? 'int8 kernels' : 'dequantized fp32';
    expect(table.stdout).toMatch(new RegExp(`^int8 +2\\d\\d\\.\\d KiB +0\\.2\\d× +\\d+\\.\\d\\d % +[+-]\\d+\\.\\d\\d +[\\d,]+ \\(${path}\\)$`, 'm'));
    // Per layer, the int8 weights' error relative to the original's RMS; biases stay float32.
    expect(table.stdout).toMatch(/^layer \(relative RMS error\) +int8$/m);
    expect(table.stdout).toMatch(/^dense1\/kernel +[0-5]\.\d{3} %$/m);
    expect(table.stdout).toMatch(/^dense1\/bias +0\.000 %$/m);
  }, 30_000);

  it('prunes to each sparsity with a fine-tuning epoch: steps count on across variants, each stored sparse and smaller, the pruned share exact', async () => {
    const cli = await runCli(['prune', sourceId, '--sparsity', '0.5,0.9', '--finetune-epochs', '1', '--json', '--data-dir', dataDir]);
    expect(cli.code).toBe(0);
    const events = jsonLines(cli.stdout);
    const steps = events.filter((e) => e.type === 'step').map((e) => e.step as number);
    // 1,834 training examples in batches of 64: 29 steps a variant.
    expect(steps).toEqual(Array.from({ length: 58 }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^fine-tuning sparse-50 \(one-shot, 1 epoch at lr 0\.001\) from step 1$/), expect.stringMatching(/^fine-tuning sparse-90 .* from step 30$/)]),
    );
    const done = events.at(-1)!;
    const [fp32, half, tenth] = done.variants as Summary[];
    expect(half).toMatchObject({ label: 'sparse-50', sparsity: 0.5 });
    expect(tenth).toMatchObject({ label: 'sparse-90', sparsity: 0.9 });
    expect(half!.sizeBytes).toBeLessThan(0.8 * fp32!.sizeBytes);
    expect(tenth!.sizeBytes).toBeLessThan(0.2 * fp32!.sizeBytes);
    expect(tenth!.testAccuracy).toBeGreaterThan(0.5);

    const variant = events.filter((e) => e.type === 'variant').at(-1)!.variant as { layers: { name: string; size: number; zeros: number; prunable: boolean }[] };
    for (const layer of variant.layers.filter((l) => l.prunable)) expect(layer.zeros).toBe(Math.round(0.9 * layer.size));
    const pkg = readModelPackage(join(dataDir, 'runs', done.runId as string, 'models', 'sparse-90'));
    expect(pkg.manifest.tensors.filter((t) => t.encoding === 'csr').map((t) => t.name)).toEqual(['dense1/kernel', 'dense2/kernel', 'dense3/kernel']);
    const stored = pkg.tensors.find((t) => t.name === 'dense1/kernel')!.values;
    expect(stored.filter((v) => v === 0).length).toBe(Math.round(0.9 * stored.length));
  }, 30_000);

  it('refuses bad input with exit 2, naming the field and what it accepts, and stores nothing', async () => {
    const before = readdirSync(join(dataDir, 'runs')).sort();
    const compressionRun = before.find((id) => id !== sourceId)!;
    const refused = async (args: string[]) => {
      const cli = await runCli([...args, '--json', '--data-dir', dataDir]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/^error: /m);
      return jsonLines(cli.stdout);
    };
    expect(await refused(['quantize', 'run-20990101-000000-abcd'])).toEqual([
      { type: 'error', field: 'compression.sourceRunId', message: 'compression.sourceRunId: no run named "run-20990101-000000-abcd"' },
    ]);
    expect(await refused(['prune', sourceId, '--sparsity', '0.5,1.5'])).toEqual([{ type: 'error', field: 'sparsity', message: '--sparsity: 1.5 must be a number > 0 and < 1' }]);
    expect(await refused(['prune', sourceId, '--schedule', 'gradual', '--finetune-epochs', '0'])).toEqual([
      { type: 'error', field: 'finetune-epochs', message: '--finetune-epochs: must be at least 1 for gradual pruning: the sparsity rises over the fine-tuning epochs (got "0")' },
    ]);
    expect(await refused(['quantize', sourceId, '--dtype', 'int4'])).toEqual([{ type: 'error', field: 'dtype', message: '--dtype: int4 must be one of: int8, float16' }]);
    expect(await refused(['quantize', sourceId, '--calibration-samples', '0'])).toEqual([
      { type: 'error', field: 'calibration-samples', message: '--calibration-samples: must be an integer from 1 to 10000 (got "0")' },
    ]);
    expect((await refused(['quantize', compressionRun]))[0]).toMatchObject({ field: 'compression.sourceRunId', message: expect.stringMatching(/is a compression run; compress the training run it came from/) });

    // Another process training the source on this data dir: its lock names it.
    const lock = new DataDirLock(dataDir);
    lock.acquire(sourceId);
    try {
      expect(await refused(['prune', sourceId])).toEqual([
        { type: 'error', field: 'compression.sourceRunId', message: `compression.sourceRunId: run ${sourceId} is still training; compress it once it is done` },
      ]);
    } finally {
      lock.release(sourceId);
    }
    expect(readdirSync(join(dataDir, 'runs')).sort()).toEqual(before);
  }, 30_000);
});
