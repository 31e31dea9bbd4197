import { describe, expect, it } from 'vitest';
import { dataShapeOf, estimateMemory } from '../../shared/memory-estimate.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

/**
 * How far a real run's peak may sit from the estimate. The arithmetic is calibrated on the wasm
 * backend, so these runs use it; hpc-native's in-place Adam peaks lower (the run page shows both).
 */
const TOLERANCE = 0.25;

describe('the memory-fit estimate against a real run', () => {
  it.each([
    ['cnn', 'sgd', '64'],
    ['mlp', 'adam', '32'],
  ] as const)('a tiny %s run with %s at batch %s peaks within a quarter of its estimate, and reports its live tensors', async (model, optimizer, batchSize) => {
    const cli = await runCli([
      'train', '--dataset', 'fashion-mnist', '--model', model, '--optimizer', optimizer, '--batch-size', batchSize,
      '--epochs', '1', '--limit', '600', '--json', '--data-dir', tempDir('memory-estimate'),
    ], { HPC_STUDIO_BACKEND: 'wasm' });
    expect(cli.code).toBe(0);
    const events = jsonLines(cli.stdout);
    const started = events.find((e) => e.type === 'started') as { dataset: DatasetInfo };
    const memory = events.filter((e) => e.type === 'memory') as { step: number; numTensors: number; peakStepBytes: number }[];
    expect(memory.length).toBeGreaterThan(0);
    // A steady loop: the same live tensors after every reported step, and no leak hint.
    expect(new Set(memory.map((m) => m.numTensors)).size).toBe(1);
    expect(cli.stderr).not.toMatch(/tensors are leaking/);
    const estimate = estimateMemory({ model, optimizer, batchSize: Number(batchSize) }, dataShapeOf(started.dataset)).trainingBytes;
    const peak = Math.max(...memory.map((m) => m.peakStepBytes));
    expect(Math.abs(peak - estimate) / estimate).toBeLessThan(TOLERANCE);
  });
});
