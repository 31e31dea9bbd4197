import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR } from '../../shared/run-config.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../trainer/data/fashion-mnist.js';
import { IdxFormatError, parseIdx, readIdxFile } from '../../trainer/data/idx-reader.js';
import { InputError } from '../../trainer/input-error.js';

const noProgress = () => {};

describe('IDX reader on the real Fashion-MNIST files', () => {
  it.each([
    ['train-images-idx3-ubyte.gz', [60000, 28, 28]],
    ['train-labels-idx1-ubyte.gz', [60000]],
    ['t10k-images-idx3-ubyte.gz', [10000, 28, 28]],
    ['t10k-labels-idx1-ubyte.gz', [10000]],
  ])('%s has dims %j', async (file, dims) => {
    const idx = await readIdxFile(join(DEFAULT_FASHION_MNIST_DIR, file));
    expect(idx.dims).toEqual(dims);
    expect(idx.data.length).toBe(dims.reduce((a, b) => a * b));
  });

  it('labels are the ten classes, balanced in the test set', async () => {
    const { data } = await readIdxFile(join(DEFAULT_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
    const counts = new Array(10).fill(0);
    for (const l of data) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });

  it('rejects a bad magic number, another element type, and a size that disagrees with the header', () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(IdxFormatError);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/element type 0xd is not supported/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]))).toThrow(/truncated header/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))).toThrow(/says 5 = 5 values but the file holds 2/);
  });

  it('reads big-endian dimensions', () => {
    const idx = parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 1, 0, 0, 0, 0, 1, ...new Array(256).fill(7)]));
    expect(idx.dims).toEqual([256, 1]);
  });
});

describe('the Fashion-MNIST loader', () => {
  it('takes the first `limit` examples, holds out the last twelfth for validation, standardises pixels by the training set', async () => {
    const progress: number[] = [];
    const d = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, 1000, (done) => progress.push(done));
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(d.info).toMatchObject({ task: 'classification', trainSize: 917, validationSize: 83, testSize: 10000, inputShape: [28, 28, 1], classes: 10 });
    expect(d.info.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(FASHION_MNIST_CLASSES).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    const mean = d.train.x.reduce((a, b) => a + b, 0) / d.train.x.length;
    const variance = d.train.x.reduce((a, b) => a + (b - mean) ** 2, 0) / d.train.x.length;
    expect(mean).toBeCloseTo(0, 4);
    expect(variance).toBeCloseTo(1, 3);
  });

  it('keeps at least one validation example for a tiny limit', async () => {
    const d = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, 2, noProgress);
    expect(d.info).toMatchObject({ trainSize: 1, validationSize: 1 });
  });

  it('names the missing path and the apt package, as a dataset field error', async () => {
    const err = await loadFashionMnist('/nowhere', undefined, noProgress).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'dataset', message: expect.stringMatching(/\/nowhere\/train-images-idx3-ubyte\.gz not found; install Debian's dataset-fashion-mnist/) });
  });
});
