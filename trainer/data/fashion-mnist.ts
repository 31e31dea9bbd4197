import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../input-error.js';
import { holdOutValidation, type Dataset, type LoadProgress, type Split } from './dataset.js';
import { readIdxFile } from './idx-reader.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** Fashion-MNIST from its IDX files (Debian's `dataset-fashion-mnist`), pixels scaled to [0, 1]. */
export async function loadFashionMnist(dir: string, limit: number | undefined, progress: LoadProgress): Promise<Dataset> {
  for (const file of Object.values(FILES)) {
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
  const trainImages = step(await readIdxFile(join(dir, FILES.trainImages)));
  const trainLabels = step(await readIdxFile(join(dir, FILES.trainLabels)));
  const testImages = step(await readIdxFile(join(dir, FILES.testImages)));
  const testLabels = step(await readIdxFile(join(dir, FILES.testLabels)));

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
    train: toSplit(trainImages.data, trainLabels.data, 0, train),
    validation: toSplit(trainImages.data, trainLabels.data, train, used),
    test: toSplit(testImages.data, testLabels.data, 0, testImages.dims[0]!),
  };
}
