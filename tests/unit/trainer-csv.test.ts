import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../shared/run-config.js';
import type { TrainerEvent, TrainerEventOf } from '../../shared/trainer-protocol.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { loadCsvRegression, weightsInOriginalUnits } from '../../trainer/data/csv-dataset.js';
import { loadDataset } from '../../trainer/data/load-dataset.js';
import { InputError } from '../../trainer/input-error.js';
import { createModel } from '../../trainer/models/create-model.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';
import { TrainingControl } from '../../trainer/training-control.js';
import { freshPosition, TrainingLoop } from '../../trainer/training-loop.js';

const csv = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'csv-')), 'data.csv');
  writeFileSync(file, text);
  return file;
};
const noProgress = () => {};
const SAMPLE = join(import.meta.dirname, '../../resources/linear-regression.csv');

describe('CSV regression data', () => {
  it('reads a good file: features named by the header, 80/10/10 split, standardised training features', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${2 * i + 1}`);
    const progress: [number, number][] = [];
    const d = await loadCsvRegression(csv(`a, b ,y\n${rows.join('\r\n')}\n\n`), 'y', 1, undefined, (done, total) => progress.push([done, total]));
    expect(d.info).toEqual({ task: 'regression', trainSize: 16, validationSize: 2, testSize: 2, inputShape: [2], featureNames: ['a', 'b'] });
    expect(progress.at(-1)).toEqual([20, 20]);
    for (let f = 0; f < 2; f++) {
      const column = Array.from({ length: d.train.count }, (_, i) => d.train.x[i * 2 + f]!);
      const mean = column.reduce((s, v) => s + v, 0) / column.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length).toBeCloseTo(1, 5);
    }
    // Every row lands in exactly one split: the de-standardised targets are the original 1, 3, 5, … 39.
    const { targetMean, targetStd } = d.standardisation!;
    const targets = [d.train, d.validation, d.test].flatMap((s) => [...s.y].map((v) => Math.round(v * targetStd + targetMean)));
    expect(targets.sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
  });

  it('takes the first `limit` rows', async () => {
    const d = await loadCsvRegression(SAMPLE, 'y', 1, 100, noProgress);
    expect(d.info.trainSize + d.info.validationSize + d.info.testSize).toBe(100);
  });

  it('names the available columns when the target is missing', async () => {
    const err = await loadCsvRegression(csv('a,b,y\n1,2,3\n'), 'z', 1, undefined, noProgress).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'target', message: expect.stringContaining('its columns are a, b, y') });
  });

  it('names the row and column of a non-numeric cell', async () => {
    const err = await loadCsvRegression(csv('a,y\n1,2\nfoo,3\n4,5\n'), 'y', 1, undefined, noProgress).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'dataset', message: expect.stringMatching(/row 3, column a: "foo" is not a number/) });
  });

  it('names a missing file and a short row', async () => {
    await expect(loadCsvRegression('/nowhere.csv', 'y', 1, undefined, noProgress)).rejects.toMatchObject({ field: 'dataset', message: expect.stringContaining('/nowhere.csv') });
    await expect(loadCsvRegression(csv('a,y\n1,2\n3\n'), 'y', 1, undefined, noProgress)).rejects.toThrow(/row 3 has 1 cells, the header has 2/);
  });

  it('rejects models other than linear, and a batch larger than the training set', async () => {
    const config = (patch: Partial<RunConfig>): RunConfig => ({
      dataset: { kind: 'csv', path: SAMPLE, target: 'y' }, model: 'linear', epochs: 1, batchSize: 32, lr: 0.1, optimizer: 'sgd', seed: 1, ...patch,
    });
    await expect(loadDataset(config({ model: 'cnn' }), noProgress)).rejects.toMatchObject({ field: 'model', message: expect.stringMatching(/^model: .*linear/) });
    await expect(loadDataset(config({ batchSize: 801 }), noProgress)).rejects.toMatchObject({ field: 'batchSize', message: expect.stringMatching(/^batchSize: must be an integer from 1 to 800/) });
  });

  it('maps weights learned on standardised data back to the CSV units', () => {
    const s = { featureMean: Float64Array.of(10, -2), featureStd: Float64Array.of(2, 4), targetMean: 5, targetStd: 3 };
    // y_std = 0.5·x1_std − 0.25·x2_std + 0.1  ⇒  y = 0.75·x1 − 0.1875·x2 + 5.3 − 7.5 − 0.375
    const w = weightsInOriginalUnits(Float32Array.of(0.5, -0.25), 0.1, ['x1', 'x2'], s);
    expect(w.x1).toBeCloseTo(0.75, 6);
    expect(w.x2).toBeCloseTo(-0.1875, 6);
    expect(w.bias).toBeCloseTo(5 + 0.3 - 7.5 - 0.375, 6);
  });
});

describe('training linear on resources/linear-regression.csv', () => {
  it('recovers y = 3·x1 − 2·x2 + 0.5·x3 + 4 and reaches the noise floor', async () => {
    await chooseBackend('cpu');
    const config: RunConfig = {
      dataset: { kind: 'csv', path: SAMPLE, target: 'y' }, model: 'linear', epochs: 15, batchSize: 32, lr: 0.05, optimizer: 'adam', seed: 3,
    };
    const dataset = await loadDataset(config, noProgress);
    const model = createModel(config.model, dataset.info, config.seed);
    const events: TrainerEvent[] = [];
    await new TrainingLoop({
      config, dataset, model, optimizer: createOptimizer(config.optimizer, model.variables, config.lr), control: new TrainingControl(),
      emit: (e) => events.push(e), position: freshPosition(config), saveCheckpoint: async () => 'unsaved',
    }).run();
    const done = events.find((e): e is TrainerEventOf<'done'> => e.type === 'done')!;
    const truth = { x1: 3, x2: -2, x3: 0.5, bias: 4 };
    expect(Object.keys(done.weights!).sort()).toEqual(Object.keys(truth).sort());
    for (const [name, value] of Object.entries(truth)) expect(Math.abs(done.weights![name]! - value), name).toBeLessThan(0.02);
    expect(done.testLoss).toBeLessThan(0.02);
    expect(done.testAccuracy).toBeUndefined();
  });
});
