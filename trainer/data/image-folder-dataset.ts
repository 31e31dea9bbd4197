import type { ImageFolderSpec } from '../../shared/run-config.js';
import type { Dataset, LoadProgress, Split } from './dataset.js';
import { readImageFolder, type DecodedSplit } from './image-folder-reader.js';

/** How many unreadable files are named one by one in the run's log before the rest are counted. */
const NAMED_UNREADABLE = 50;

/**
 * A folder of PNG/JPEG images, one subfolder per class, as a classification dataset: resized
 * to `imageSize`, pixels standardised per channel by the training split's statistics.
 * Unreadable files are skipped, each named through `warn`.
 */
export async function loadImageFolder(
  spec: ImageFolderSpec,
  seed: number,
  limit: number | undefined,
  progress: LoadProgress,
  warn: (message: string) => void,
): Promise<Dataset> {
  const folder = await readImageFolder(spec, seed, { limit, progress });
  folder.unreadable.slice(0, NAMED_UNREADABLE).forEach((u) => warn(`skipped ${u.file}: ${u.reason}`));
  if (folder.unreadable.length > NAMED_UNREADABLE) warn(`skipped ${folder.unreadable.length - NAMED_UNREADABLE} more unreadable files`);

  const { imageSize: size, channels } = folder;
  const featureSize = size * size * channels;
  const toSplit = (s: DecodedSplit): Split => ({ count: s.labels.length, x: Float32Array.from(s.pixels, (p) => p / 255), y: s.labels });
  const train = toSplit(folder.train);
  const validation = toSplit(folder.validation);
  const test = toSplit(folder.test);
  const { mean, std } = channelStatistics(train.x, channels);
  for (const split of [train, validation, test]) {
    for (let i = 0; i < split.x.length; i++) split.x[i] = (split.x[i]! - mean[i % channels]!) / std[i % channels]!;
  }
  return {
    info: {
      task: 'classification',
      trainSize: train.count,
      validationSize: validation.count,
      testSize: test.count,
      inputShape: [size, size, channels],
      classes: folder.classNames.length,
      classNames: folder.classNames,
    },
    featureSize,
    train,
    validation,
    test,
  };
}

/** Mean and standard deviation of each channel over every training pixel (HWC, so channel = index mod channels). */
function channelStatistics(x: Float32Array, channels: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(channels);
  const std = new Float64Array(channels);
  const perChannel = x.length / channels;
  for (let i = 0; i < x.length; i++) mean[i % channels]! += x[i]!;
  for (let c = 0; c < channels; c++) mean[c]! /= perChannel;
  for (let i = 0; i < x.length; i++) std[i % channels]! += (x[i]! - mean[i % channels]!) ** 2;
  for (let c = 0; c < channels; c++) std[c] = Math.sqrt(std[c]! / perChannel) || 1;
  return { mean, std };
}
