import { readFile } from 'node:fs/promises';
import { InputError } from '../input-error.js';
import { epochOrder } from '../../shared/seeded-random.js';
import type { Dataset, LoadProgress, Split, Standardisation } from './dataset.js';

/**
 * A numeric CSV for regression: a header row, then one example per row; `target` names the
 * column to predict and every other column is a feature. Rows are shuffled with the seed and
 * split 80/10/10 into train, validation and test.
 */
export async function loadCsvRegression(path: string, target: string, seed: number, limit: number | undefined, progress: LoadProgress): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError('dataset', `dataset: cannot read CSV ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new InputError('dataset', `dataset: ${path} needs a header row and at least one data row`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    throw new InputError('target', `target: no column ${JSON.stringify(target)} in ${path}; its columns are ${header.join(', ')}`);
  }
  if (header.length < 2) throw new InputError('dataset', `dataset: ${path} needs at least one feature column besides the target`);
  const featureNames = header.filter((_, i) => i !== targetIndex);
  const rows = Math.min(lines.length - 1, limit ?? Infinity);
  const features = featureNames.length;
  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',');
    if (cells.length !== header.length) {
      throw new InputError('dataset', `dataset: ${path} row ${r + 2} has ${cells.length} cells, the header has ${header.length}`);
    }
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const value = Number(cells[c]!.trim());
      if (cells[c]!.trim() === '' || !Number.isFinite(value)) {
        throw new InputError('dataset', `dataset: ${path} row ${r + 2}, column ${header[c]}: ${JSON.stringify(cells[c])} is not a number`);
      }
      if (c === targetIndex) y[r] = value;
      else x[r * features + f++] = value;
    }
    if (r % 5000 === 0) progress(r, rows);
  }
  progress(rows, rows);
  if (rows < 3) throw new InputError('dataset', `dataset: ${path} has ${rows} rows; at least 3 are needed to train, validate and test`);

  const order = epochOrder(rows, seed, -1);
  const testCount = Math.max(1, Math.floor(rows / 10));
  const validationCount = Math.max(1, Math.floor(rows / 10));
  const trainCount = rows - testCount - validationCount;
  const take = (from: number, to: number): Split => {
    const sx = new Float32Array((to - from) * features);
    const sy = new Float32Array(to - from);
    for (let i = from; i < to; i++) {
      const row = order[i]!;
      sx.set(x.subarray(row * features, (row + 1) * features), (i - from) * features);
      sy[i - from] = y[row]!;
    }
    return { count: to - from, x: sx, y: sy };
  };
  const train = take(0, trainCount);
  const standardisation = standardise(train, features);
  const splits = [train, take(trainCount, trainCount + validationCount), take(trainCount + validationCount, rows)];
  for (const s of splits) apply(s, features, standardisation);
  return {
    info: {
      task: 'regression',
      trainSize: trainCount,
      validationSize: validationCount,
      testSize: testCount,
      inputShape: [features],
      featureNames,
    },
    featureSize: features,
    train: splits[0]!,
    validation: splits[1]!,
    test: splits[2]!,
    standardisation,
  };
}

/** Mean and standard deviation of each column of the training split (a constant column keeps std 1). */
function standardise(train: Split, features: number): Standardisation {
  const featureMean = new Float64Array(features);
  const featureStd = new Float64Array(features);
  for (let i = 0; i < train.count; i++) for (let f = 0; f < features; f++) featureMean[f]! += train.x[i * features + f]! / train.count;
  for (let i = 0; i < train.count; i++) {
    for (let f = 0; f < features; f++) featureStd[f]! += (train.x[i * features + f]! - featureMean[f]!) ** 2 / train.count;
  }
  for (let f = 0; f < features; f++) featureStd[f] = Math.sqrt(featureStd[f]!) || 1;
  let targetMean = 0;
  for (let i = 0; i < train.count; i++) targetMean += train.y[i]! / train.count;
  let variance = 0;
  for (let i = 0; i < train.count; i++) variance += (train.y[i]! - targetMean) ** 2 / train.count;
  return { featureMean, featureStd, targetMean, targetStd: Math.sqrt(variance) || 1 };
}

function apply(split: Split, features: number, s: Standardisation): void {
  for (let i = 0; i < split.count; i++) {
    for (let f = 0; f < features; f++) split.x[i * features + f] = (split.x[i * features + f]! - s.featureMean[f]!) / s.featureStd[f]!;
    split.y[i] = (split.y[i]! - s.targetMean) / s.targetStd;
  }
}

/** Weights learned on standardised data, in the CSV's own units, plus `bias`. */
export function weightsInOriginalUnits(weights: Float32Array, bias: number, names: string[], s: Standardisation): Record<string, number> {
  const out: Record<string, number> = {};
  let intercept = s.targetMean + s.targetStd * bias;
  names.forEach((name, f) => {
    const w = (s.targetStd * weights[f]!) / s.featureStd[f]!;
    out[name] = w;
    intercept -= w * s.featureMean[f]!;
  });
  out.bias = intercept;
  return out;
}
