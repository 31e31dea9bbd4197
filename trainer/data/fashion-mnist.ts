import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../input-error.js';
import { holdOutValidation, type Dataset, type LoadProgress, type Split } from './dataset.js';
import { readIdxFile } from './idx-reader.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** The four IDX files a Fashion-MNIST folder holds. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** Fashion-MNIST from its IDX files (Debian's `dataset-fashion-mnist`), pixels standardised by the training set's statistics. */
export async function loadFashionMnist(dir: string, limit: number | undefined, progress: LoadProgress): Promise<Dataset> {
  for (const file of Object.values(FASHION_MNIST_FILES)) {
    const path = join(dir, file);
    try {
      await access(path);
    } catch {
      throw new InputError(
        'dataset',
        `dataset: ${path} not found; install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or point --dataset-dir at a folder with the four Fashion-MNIST IDX .gz files`,
      );
    }
  }
  const total = 4;
  let done = 0;
  const step = <T>(value: T) => (progress(++done, total), value);
  const trainImages = step(await readIdxFile(join(dir, FASHION_MNIST_FILES.trainImages)));
  const trainLabels = step(await readIdxFile(join(dir, FASHION_MNIST_FILES.trainLabels)));
  const testImages = step(await readIdxFile(join(dir, FASHION_MNIST_FILES.testImages)));
  const testLabels = step(await readIdxFile(join(dir, FASHION_MNIST_FILES.testLabels)));

  for (const [images, labels, name] of [[trainImages, trainLabels, 'train'], [testImages, testLabels, 't10k']] as const) {
    if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28 || labels.dims[0] !== images.dims[0]) {
      throw new InputError('dataset', `dataset: ${name} files in ${dir} are not 28×28 images with one label each`);
    }
  }
  const available = trainImages.dims[0]!;
  const used = Math.min(limit ?? available, available);
  const { train, validation } = holdOutValidation(used);
  const pixels = 28 * 28;
  const toSplit = (images: Uint8Array, labels: Uint8Array, from: number, to: number): Split => {
    const x = new Float32Array((to - from) * pixels);
    const source = images.subarray(from * pixels, to * pixels);
    for (let i = 0; i < x.length; i++) x[i] = source[i]! / 255;
    return { count: to - from, x, y: Int32Array.from(labels.subarray(from, to)) };
  };
  const trainSplit = toSplit(trainImages.data, trainLabels.data, 0, train);
  const validationSplit = toSplit(trainImages.data, trainLabels.data, train, used);
  const testSplit = toSplit(testImages.data, testLabels.data, 0, testImages.dims[0]!);
  const { mean, std } = pixelStatistics(trainSplit.x);
  for (const split of [trainSplit, validationSplit, testSplit]) {
    for (let i = 0; i < split.x.length; i++) split.x[i] = (split.x[i]! - mean) / std;
  }
  return {
    info: {
      task: 'classification',
      trainSize: train,
      validationSize: validation,
      testSize: testImages.dims[0]!,
      inputShape: [28, 28, 1],
      classes: 10,
      classNames: FASHION_MNIST_CLASSES,
    },
    featureSize: pixels,
    train: trainSplit,
    validation: validationSplit,
    test: testSplit,
    pixelStandardisation: { mean: [mean], std: [std] },
  };
}

/**
 * One mean and standard deviation over every training pixel (about 0.286 and 0.353 for the full
 * set): inputs centred at zero with unit spread train faster and generalise better than raw [0, 1].
 */
export function pixelStatistics(x: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = sum / x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) squares += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / x.length) || 1 };
}
