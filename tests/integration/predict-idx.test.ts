import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { FASHION_MNIST_DIR, tempDir } from '../support/studio-fixture.js';

let dataDir: string;
let done: Record<string, unknown>;

beforeAll(async () => {
  dataDir = tempDir('predict-idx');
  const trained = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'linear', '--limit', '500', '--epochs', '1', '--json', '--data-dir', dataDir]);
  done = jsonLines(trained.stdout).find((l) => l.type === 'done')!;
});

describe('predict --input', () => {
  it("normalises Fashion-MNIST's test images as training did: the predictions score the run's own test accuracy", async () => {
    const result = await runCli(['predict', '--model', done.runId as string, '--input', join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'), '--batch', '500', '--json', '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const predictions = jsonLines(result.stdout).filter((l) => l.type === 'prediction') as { row: number; classId: number }[];
    const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'))).subarray(8);
    expect(predictions).toHaveLength(labels.length);
    const correct = predictions.filter((p) => p.classId === labels[p.row - 1]).length;
    expect(correct / labels.length).toBe(done.testAccuracy);
  });

  it('refuses a file that is neither rows nor images, and a model that does not exist, with exit 2 naming the field', async () => {
    const labels = await runCli(['predict', '--model', done.runId as string, '--input', join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'), '--data-dir', dataDir]);
    expect(labels.code).toBe(2);
    expect(labels.stderr).toContain('--input: ');
    expect(labels.stderr).toContain('holds no images');

    const text = join(dataDir, 'not-rows.json');
    writeFileSync(text, JSON.stringify({ inputs: 'pixels' }));
    const notRows = await runCli(['predict', '--model', done.runId as string, '--input', text, '--json', '--data-dir', dataDir]);
    expect(notRows.code).toBe(2);
    expect(jsonLines(notRows.stdout)).toEqual([{ type: 'error', field: 'input', message: `--input: ${text} must hold {"inputs": [[numbers…], …]} or a list of rows (lists of numbers)` }]);

    const missing = await runCli(['predict', '--model', 'run-nope', '--input', text, '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('model: no run named "run-nope"');
  });
});
