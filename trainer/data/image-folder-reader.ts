import { readFile } from 'node:fs/promises';
import type { ImageFolderSpec } from '../../shared/run-config.js';
import { InputError } from '../input-error.js';
import type { LoadProgress } from './dataset.js';
import { decodeImage, hasColour, type RgbaImage } from './image-decoder.js';
import { scanImageFolder, type ImageEntry, type SkippedFile } from './image-folder-scan.js';
import { resizeImage } from './image-resize.js';

export const DEFAULT_IMAGE_SIZE = { grey: 28, rgb: 32 } as const;

/** One split's images, resized: `pixels` holds `labels.length × size × size × channels` bytes, HWC. */
export interface DecodedSplit {
  files: string[];
  labels: Int32Array;
  pixels: Uint8Array;
}

export interface DecodedImageFolder {
  classNames: string[];
  imageSize: number;
  channels: 1 | 3;
  /** What the files are before resizing. */
  source: { minWidth: number; maxWidth: number; minHeight: number; maxHeight: number; colour: boolean };
  train: DecodedSplit;
  validation: DecodedSplit;
  test: DecodedSplit;
  /** Files left out: not PNG/JPEG by name, unreadable, or undecodable; with the reason. */
  unreadable: SkippedFile[];
}

const SPLITS = ['train', 'validation', 'test'] as const;

interface Target {
  size: number;
  channels: 1 | 3;
  images: Record<(typeof SPLITS)[number], Uint8Array[]>;
}

/**
 * Reads and decodes every image of an image-folder dataset and resizes it to the model's input.
 * With `channels: 'auto'` the folder is RGB if any image has colour: images are kept grey until the
 * first colour one, and only the files before it are decoded again, so a grey folder is never held
 * twice in memory. No TensorFlow here: the host's preview uses this too.
 */
export async function readImageFolder(
  spec: ImageFolderSpec,
  seed: number,
  options: { limit?: number; progress?: LoadProgress } = {},
): Promise<DecodedImageFolder> {
  const layout = await scanImageFolder(spec.dir, spec.split, seed);
  const entries = { train: layout.train.slice(0, options.limit ?? layout.train.length), validation: layout.validation, test: layout.test };
  const target = (channels: 1 | 3): Target => ({
    size: spec.imageSize ?? (channels === 1 ? DEFAULT_IMAGE_SIZE.grey : DEFAULT_IMAGE_SIZE.rgb),
    channels,
    images: { train: [], validation: [], test: [] },
  });
  let chosen = target(spec.channels === 'auto' ? 1 : spec.channels);
  const kept = { train: [] as ImageEntry[], validation: [] as ImageEntry[], test: [] as ImageEntry[] };
  const unreadable: SkippedFile[] = [...layout.skipped];
  const source = { minWidth: Infinity, maxWidth: 0, minHeight: Infinity, maxHeight: 0, colour: false };
  const total = SPLITS.reduce((n, s) => n + entries[s].length, 0);
  const every = Math.max(1, Math.floor(total / 100));
  let done = 0;
  options.progress?.(0, total);

  for (const split of SPLITS) {
    for (const entry of entries[split]) {
      const image = await decodeFile(entry.file, unreadable);
      if (image) {
        source.minWidth = Math.min(source.minWidth, image.width);
        source.maxWidth = Math.max(source.maxWidth, image.width);
        source.minHeight = Math.min(source.minHeight, image.height);
        source.maxHeight = Math.max(source.maxHeight, image.height);
        if (spec.channels === 'auto' && !source.colour && hasColour(image)) {
          source.colour = true;
          chosen = target(3);
          await redecode(kept, chosen, unreadable);
        }
        chosen.images[split].push(resizeImage(image, chosen.size, chosen.channels));
        kept[split].push(entry);
      }
      if (++done % every === 0 || done === total) options.progress?.(done, total);
    }
  }

  const splits = {} as Record<(typeof SPLITS)[number], DecodedSplit>;
  for (const split of SPLITS) {
    if (kept[split].length === 0) {
      throw new InputError('dataset.dir', `dataset.dir: no ${split} image of ${spec.dir} could be decoded (${unreadable.length} unreadable files)`);
    }
    const bytes = chosen.size * chosen.size * chosen.channels;
    const pixels = new Uint8Array(kept[split].length * bytes);
    chosen.images[split].forEach((img, i) => pixels.set(img, i * bytes));
    splits[split] = { files: kept[split].map((e) => e.file), labels: Int32Array.from(kept[split], (e) => e.label), pixels };
  }
  return { classNames: layout.classNames, imageSize: chosen.size, channels: chosen.channels, source, ...splits, unreadable };
}

async function decodeFile(file: string, unreadable: SkippedFile[]): Promise<RgbaImage | undefined> {
  try {
    return decodeImage(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    unreadable.push({ file, reason: code ? `cannot be read (${code})` : (error as Error).message });
    return undefined;
  }
}

/** Decodes the files kept so far again into `into`; one that no longer decodes is dropped and listed. */
async function redecode(kept: Record<(typeof SPLITS)[number], ImageEntry[]>, into: Target, unreadable: SkippedFile[]): Promise<void> {
  for (const split of SPLITS) {
    const still: ImageEntry[] = [];
    for (const entry of kept[split]) {
      const image = await decodeFile(entry.file, unreadable);
      if (!image) continue;
      into.images[split].push(resizeImage(image, into.size, into.channels));
      still.push(entry);
    }
    kept[split] = still;
  }
}
