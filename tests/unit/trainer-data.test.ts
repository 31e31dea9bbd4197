import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCsvRegression, weightsInOriginalUnits } from '../../trainer/data/csv-dataset.js';
import { loadFashionMnist } from '../../trainer/data/fashion-mnist.js';
import { IdxFormatError, parseIdx, readIdxFile } from '../../trainer/data/idx-reader.js';
import { InputError } from '../../trainer/input-error.js';
import { epochOrder } from '../../trainer/seeded-random.js';
import { FASHION_MNIST_DIR } from '../support/studio-fixture.js';

const csv = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'csv-')), 'data.csv');
  writeFileSync(file, text);
  return file;
};
const noProgress = () => {};

describe('IDX reader on the real Fashion-MNIST files', () => {
  it.each([
    ['train-images-idx3-ubyte.gz', [60000, 28, 28]],
    ['train-labels-idx1-ubyte.gz', [60000]],
    ['t10k-images-idx3-ubyte.gz', [10000, 28, 28]],
    ['t10k-labels-idx1-ubyte.gz', [10000]],
  ])('%s has dims %j', async (file, dims) => {
    const idx = await readIdxFile(join(FASHION_MNIST_DIR, file));
    expect(idx.dims).toEqual(dims);
    expect(idx.data.length).toBe(dims.reduce((a, b) => a * b));
  });

  it('labels are the ten classes, balanced in the test set', async () => {
    const { data } = await readIdxFile(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
    const counts = new Array(10).fill(0);
    for (const l of data) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });

  it('rejects a bad magic number and a size that disagrees with the header', () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(IdxFormatError);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))).toThrow(/says 5 = 5 values but the file holds 2/);
  });

  it('loads a limited slice with a validation hold-out, pixels standardised by the training set', async () => {
    const d = await loadFashionMnist(FASHION_MNIST_DIR, 1000, noProgress);
    expect(d.info).toMatchObject({ trainSize: 917, validationSize: 83, testSize: 10000, inputShape: [28, 28, 1], classes: 10 });
    const mean = d.train.x.reduce((a, b) => a + b, 0) / d.train.x.length;
    const variance = d.train.x.reduce((a, b) => a + (b - mean) ** 2, 0) / d.train.x.length;
    expect(mean).toBeCloseTo(0, 4);
    expect(variance).toBeCloseTo(1, 3);
  });

  it('names the missing path and the apt package', async () => {
    await expect(loadFashionMnist('/nowhere', undefined, noProgress)).rejects.toThrow(/\/nowhere\/train-images-idx3-ubyte\.gz not found; install Debian's dataset-fashion-mnist/);
  });
});

describe('CSV regression data', () => {
  it('names the available columns when the target is missing', async () => {
    const err = await loadCsvRegression(csv('a,b,y\n1,2,3\n'), 'z', 1, undefined, noProgress).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'target', message: expect.stringContaining('its columns are a, b, y') });
  });

  it('names the row and column of a non-numeric cell', async () => {
    const err = await loadCsvRegression(csv('a,y\n1,2\nfoo,3\n4,5\n'), 'y', 1, undefined, noProgress).catch((e) => e);
    expect(err).toMatchObject({ field: 'dataset', message: expect.stringMatching(/row 3, column a: "foo" is not a number/) });
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

describe('seeded shuffles', () => {
  it('repeat for the same seed and epoch, and differ across epochs', () => {
    expect(epochOrder(50, 7, 1)).toEqual(epochOrder(50, 7, 1));
    expect(epochOrder(50, 7, 1)).not.toEqual(epochOrder(50, 7, 2));
    expect([...epochOrder(50, 7, 1)].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });
});
