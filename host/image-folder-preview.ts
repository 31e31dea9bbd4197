import { PNG } from 'pngjs';
import type { DatasetPreview, PreviewDatasetParams } from '../shared/dataset-preview.js';
import { DEFAULT_RUN_CONFIG } from '../shared/run-config.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { readImageFolder, type DecodedSplit } from '../trainer/data/image-folder-reader.js';
import { InputError } from '../trainer/input-error.js';

/** The unreadable-file list and the thumbnails stay well under the API's message size. */
const MAX_LISTED_UNREADABLE = 200;
const MAX_CLASSES_WITH_SAMPLES = 100;
const DEFAULT_SAMPLES = 4;

/**
 * Reads an image folder exactly as a run would (same scanner, decoder, split and resizing, no
 * TensorFlow) and sums it up: counts per split and class, thumbnails, and what was skipped.
 */
export async function previewImageFolder(params: PreviewDatasetParams): Promise<DatasetPreview> {
  const { dataset, seed = DEFAULT_RUN_CONFIG.seed, samplesPerClass = DEFAULT_SAMPLES } = params;
  let folder;
  try {
    folder = await readImageFolder(dataset, seed);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new ApiError({ code: 'invalid', message: error.message, fields: [{ field: error.field, message: error.message }] });
  }
  const { imageSize: size, channels } = folder;
  const perClass = (split: DecodedSplit) => {
    const counts = new Array<number>(folder.classNames.length).fill(0);
    for (const label of split.labels) counts[label]!++;
    return counts;
  };
  const train = perClass(folder.train);
  const validation = perClass(folder.validation);
  const test = perClass(folder.test);
  const bytes = size * size * channels;
  const classes = folder.classNames.map((name, label) => {
    const samples: string[] = [];
    if (label < MAX_CLASSES_WITH_SAMPLES) {
      for (let i = 0; i < folder.train.labels.length && samples.length < samplesPerClass; i++) {
        if (folder.train.labels[i] === label) samples.push(pngDataUrl(folder.train.pixels.subarray(i * bytes, (i + 1) * bytes), size, channels));
      }
    }
    return { name, counts: { train: train[label]!, validation: validation[label]!, test: test[label]! }, samples };
  });
  return {
    dir: dataset.dir,
    classes,
    totals: { train: folder.train.labels.length, validation: folder.validation.labels.length, test: folder.test.labels.length },
    source: folder.source,
    input: { imageSize: size, channels },
    unreadable: folder.unreadable.slice(0, MAX_LISTED_UNREADABLE),
    unreadableTotal: folder.unreadable.length,
  };
}

function pngDataUrl(pixels: Uint8Array, size: number, channels: 1 | 3): string {
  const png = new PNG({ width: size, height: size });
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = pixels[p * channels + (channels === 1 ? 0 : c)]!;
    png.data[p * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
