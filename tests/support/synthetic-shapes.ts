import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { seededRandom } from '../../shared/seeded-random.js';
import { tempDir } from './studio-fixture.js';

export const SHAPES = ['bar', 'circle', 'square'] as const;
export type Shape = (typeof SHAPES)[number];

export interface ShapeFolderOptions {
  /** Images per class (per split folder with `layout: 'folders'`). */
  perClass?: number;
  classes?: readonly Shape[];
  /** `flat`: DIR/<class>/…; `folders`: DIR/train|val|test/<class>/…. */
  layout?: 'flat' | 'folders';
  /** Share of images drawn in colour (the rest grey). */
  colourShare?: number;
  /** Add one file with a PNG signature and garbage after it. */
  corrupt?: boolean;
  seed?: number;
}

export interface ShapeFolder {
  dir: string;
  /** Every image written, relative to `dir`. */
  images: string[];
  corruptFile?: string;
}

/**
 * Generates an image-folder dataset of filled shapes (horizontal bars, discs, squares) at random
 * positions and sizes on noisy backgrounds, as real PNG and JPEG files of different sizes, grey
 * and RGB: what a user's own folder looks like, but learnable in seconds.
 */
export function writeShapeFolder(options: ShapeFolderOptions = {}): ShapeFolder {
  const { perClass = 30, classes = SHAPES, layout = 'flat', colourShare = 0.3, corrupt = true, seed = 1 } = options;
  const dir = tempDir('shapes');
  const random = seededRandom(seed);
  const images: string[] = [];
  const parents = layout === 'flat' ? [''] : ['train', 'val', 'test'];
  let n = 0;
  for (const parent of parents) {
    for (const shape of classes) {
      const folder = join(dir, parent, shape);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < perClass; i++, n++) {
        const width = 20 + Math.floor(random() * 29);
        const height = 20 + Math.floor(random() * 29);
        const colour = random() < colourShare;
        const rgba = drawShape(shape, width, height, colour, random);
        const asJpeg = n % 2 === 1;
        const name = `${shape}-${String(i).padStart(3, '0')}.${asJpeg ? 'jpg' : 'png'}`;
        writeFileSync(join(folder, name), asJpeg ? encodeJpeg(rgba, width, height) : encodePng(rgba, width, height, colour));
        images.push(join(parent, shape, name));
      }
    }
  }
  let corruptFile: string | undefined;
  if (corrupt) {
    corruptFile = join(parents.at(0)!, classes[0]!, 'broken.png');
    writeFileSync(join(dir, corruptFile), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a png')]));
  }
  return { dir, images, corruptFile };
}

function drawShape(shape: Shape, width: number, height: number, colour: boolean, random: () => number): Uint8Array {
  const side = Math.min(width, height);
  const background = colour ? [random() * 90, random() * 90, random() * 90] : Array(3).fill(random() * 80);
  const foreground = colour ? [150 + random() * 105, 150 + random() * 105, 150 + random() * 105] : Array(3).fill(170 + random() * 85);
  const inside = shapeTest(shape, width, height, side, random);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = inside(x + 0.5, y + 0.5) ? foreground : background;
      const noise = (random() - 0.5) * 30;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 4 + c] = Math.max(0, Math.min(255, Math.round(base[c]! + noise)));
      data[(y * width + x) * 4 + 3] = 255;
    }
  }
  return data;
}

function shapeTest(shape: Shape, width: number, height: number, side: number, random: () => number): (x: number, y: number) => boolean {
  if (shape === 'bar') {
    const thickness = side * (0.15 + random() * 0.1);
    const length = width * (0.6 + random() * 0.3);
    const x0 = random() * (width - length);
    const y0 = random() * (height - thickness);
    return (x, y) => x >= x0 && x <= x0 + length && y >= y0 && y <= y0 + thickness;
  }
  const size = side * (0.45 + random() * 0.35);
  const x0 = random() * (width - size);
  const y0 = random() * (height - size);
  if (shape === 'square') return (x, y) => x >= x0 && x <= x0 + size && y >= y0 && y <= y0 + size;
  const r = size / 2;
  return (x, y) => (x - x0 - r) ** 2 + (y - y0 - r) ** 2 <= r * r;
}

/** Grey images go out as 8-bit greyscale PNGs (colour type 0), colour ones as RGBA. */
export function encodePng(rgba: Uint8Array, width: number, height: number, colour: boolean): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, colour ? {} : { colorType: 0, inputColorType: 6 });
}

export function encodeJpeg(rgba: Uint8Array, width: number, height: number, quality = 92): Buffer {
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}
