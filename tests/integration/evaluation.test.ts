import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunEvaluation, type ClassificationEvaluation, type EvaluationProgress, type RegressionEvaluation } from '../../shared/evaluation.js';
import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { BEST_CHECKPOINT_FILE, readCheckpoint } from '../../trainer/checkpoint.js';
import { loadDataset } from '../../trainer/data/load-dataset.js';
import { createModel } from '../../trainer/models/create-model.js';
import { restoreParameters } from '../../trainer/training-snapshot.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { createTestHost, ROOT, smallRun } from '../support/studio-fixture.js';

/** Predicts the test split in this process from a checkpoint file, apart from the evaluator's code. */
async function predictFromCheckpoint(config: RunConfig, checkpointDir: string, file: string): Promise<{ actual: number[]; predicted: number[] }> {
  const dataset = await loadDataset(config, () => {});
  const model = createModel(config.model, dataset.info, config.seed);
  restoreParameters(model, readCheckpoint(checkpointDir, file)!);
  const { count, x, y } = dataset.test;
  const outputs = tf.tidy(() => {
    const out = model.apply(tf.tensor2d(x, [count, dataset.featureSize]));
    return dataset.info.task === 'classification' ? Array.from(tf.argMax(out, 1).dataSync()) : Array.from(out.dataSync());
  });
  model.variables.forEach((v) => v.dispose());
  const s = dataset.standardisation;
  return s
    ? { actual: Array.from(y, (v) => v * s.targetStd + s.targetMean), predicted: outputs.map((v) => v * s.targetStd + s.targetMean) }
    : { actual: Array.from(y), predicted: outputs };
}

describe('evaluating finished runs', () => {
  const host = createTestHost();
  const progress: EvaluationProgress[] = [];
  host.service.onEvent((name, payload) => name === 'evaluation-progress' && progress.push(payload as EvaluationProgress));

  beforeAll(async () => {
    await chooseBackend('wasm');
  });
  afterAll(async () => {
    await host.supervisor.stopAll();
  });

  async function train(config: RunConfig): Promise<{ runId: string; records: RunRecord[] }> {
    const runId = (await host.service.startRun({ config })).runId;
    await host.supervisor.idle();
    return { runId, records: (await host.service.getRun({ runId })).records };
  }

  it('stops early in a real trainer, keeps the best epoch, and evaluates it: the confusion matrix matches the checkpoint cell by cell', async () => {
    // No epoch beats the first by more than minDelta: patience 1 ends the run after epoch 2 of 4.
    const config = smallRun({ epochs: 4, limit: 600, earlyStopping: { patience: 1, minDelta: 100 } });
    const { runId, records } = await train(config);
    const epochs = records.filter((r): r is Extract<RunRecord, { type: 'epoch' }> => r.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    const lowest = epochs.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    expect(records.filter((r) => r.type === 'early-stop')).toEqual([
      expect.objectContaining({ epoch: 2, bestEpoch: lowest.epoch, bestValLoss: lowest.valLoss, patience: 1 }),
    ]);
    const { summary } = await host.service.getRun({ runId });
    expect(summary).toMatchObject({ status: 'done', stoppedEarly: true, bestEpoch: lowest.epoch });
    const checkpoints = host.store.paths(runId).checkpoints;
    expect(readCheckpoint(checkpoints, BEST_CHECKPOINT_FILE)!.position.step).toBe(lowest.step);

    expect(await host.service.getEvaluation({ runId, cachedOnly: true })).toBeNull();
    const result = (await host.service.getEvaluation({ runId }))!;
    expect(result.source).toMatchObject({ checkpoint: 'best', epoch: lowest.epoch, step: lowest.step });
    const e = result.evaluation as ClassificationEvaluation;
    expect(e.task).toBe('classification');
    const total = e.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(e.testSize);
    expect(e.testSize).toBe(10_000);
    expect(e.confusion.reduce((sum, row, i) => sum + row[i]!, 0) / total).toBe(e.accuracy);
    expect(e.perClass.map((c) => c.support)).toEqual(e.confusion.map((row) => row.reduce((a, b) => a + b, 0)));

    const { actual, predicted } = await predictFromCheckpoint(config, checkpoints, BEST_CHECKPOINT_FILE);
    const expected = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    actual.forEach((t, i) => expected[t]![predicted[i]!]!++);
    expect(e.confusion).toEqual(expected);

    expect(e.misclassified).toHaveLength(48);
    for (const m of e.misclassified.slice(0, 5)) {
      expect([actual[m.index], predicted[m.index]]).toEqual([m.trueClass, m.predictedClass]);
      expect(m.confidence).toBeGreaterThan(0.1);
      expect(m.image).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    }
    expect(progress.filter((p) => p.runId === runId).at(-1)).toEqual({ runId, phase: 'evaluate', done: 10_000, total: 10_000 });

    // Cached beside the run, and served from there without a trainer.
    const file = host.store.paths(runId).evaluation;
    expect(RunEvaluation.parse(JSON.parse(readFileSync(file, 'utf8')))).toEqual(result);
    const events = progress.length;
    expect(await host.service.getEvaluation({ runId })).toEqual(result);
    expect(await host.service.getEvaluation({ runId, cachedOnly: true })).toEqual(result);
    expect(progress.length).toBe(events);

    // The CLI prints the same matrix and table from the cache.
    const text = await runCli(['runs', 'evaluate', runId, '--data-dir', host.dataDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('confusion matrix (rows: true class, columns: predicted class)');
    const row0 = text.stdout.split('\n').find((l) => l.startsWith('0 T-shirt/top  ') && !/\d\.\d{4}/.test(l))!;
    expect(row0.trim().split(/\s+/).slice(2).map(Number)).toEqual(e.confusion[0]);
    expect(text.stdout).toMatch(new RegExp(`9 Ankle boot\\s+${e.perClass[9]!.precision.toFixed(4)}\\s+${e.perClass[9]!.recall.toFixed(4)}`));
    const json = await runCli(['runs', 'evaluate', runId, '--json', '--data-dir', host.dataDir]);
    expect(jsonLines(json.stdout)).toEqual([result]);
  });

  it('evaluates a run asked the moment it says done, while its trainer is still exiting', async () => {
    const fresh = createTestHost();
    let done: () => void = () => {};
    const saidDone = new Promise<void>((resolve) => (done = resolve));
    fresh.service.onEvent((name, payload) => {
      if (name === 'run-record' && (payload as { record: RunRecord }).record.type === 'done') done();
    });
    const { runId } = await fresh.service.startRun({ config: smallRun({ epochs: 1, limit: 600 }) });
    await saidDone;
    const evaluation = await fresh.service.getEvaluation({ runId });
    expect(evaluation?.runId).toBe(runId);
  });

  it('evaluates a CSV regression: residual figures from the predictions', async () => {
    const config: RunConfig = {
      dataset: { kind: 'csv', path: join(ROOT, 'resources', 'linear-regression.csv'), target: 'y' },
      model: 'linear', epochs: 5, batchSize: 16, lr: 0.05, optimizer: 'adam', seed: 3,
    };
    const { runId } = await train(config);
    const result = (await host.service.getEvaluation({ runId }))!;
    const e = result.evaluation as RegressionEvaluation;
    expect(e.task).toBe('regression');
    const { actual, predicted } = await predictFromCheckpoint(config, host.store.paths(runId).checkpoints, result.source.checkpoint === 'best' ? 'best.ckpt' : 'latest.ckpt');
    expect(e.testSize).toBe(actual.length);
    expect(e.points).toHaveLength(actual.length);
    e.points.forEach(([a, p], i) => {
      expect(a).toBeCloseTo(actual[i]!, 3);
      expect(p).toBeCloseTo(predicted[i]!, 3);
    });
    const mae = actual.reduce((sum, a, i) => sum + Math.abs(predicted[i]! - a), 0) / actual.length;
    expect(e.mae).toBeCloseTo(mae, 4);
    expect(e.rmse).toBeGreaterThanOrEqual(e.mae);
    expect(e.r2).toBeGreaterThan(0.9);
  });

  it('refuses to evaluate while a run trains, saying why', async () => {
    const finished = (await host.service.listRuns({})).find((r) => r.status === 'done')!;
    rmSync(host.store.paths(finished.id).evaluation, { force: true });
    const running = (await host.service.startRun({ config: smallRun({ epochs: 50 }) })).runId;
    await expect(host.service.getEvaluation({ runId: finished.id })).rejects.toThrow(
      new RegExp(`run ${running} is training; one trainer runs at a time per data directory`),
    );
    await expect(host.service.getEvaluation({ runId: running })).rejects.toThrow(/is running; only a done or stopped run can be evaluated/);
    await expect(host.service.getEvaluation({ runId: 'run-20200101-000000-abcd', cachedOnly: true })).rejects.toThrow(/no run named/);
    await host.service.stopRun({ runId: running });
  });
});
