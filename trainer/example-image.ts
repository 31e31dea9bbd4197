import { PNG } from 'pngjs';
import type { PixelStandardisation } from './data/dataset.js';

/**
 * One example's input as a PNG data URL, for showing it: `shape` is [H, W, C] with C = 1 (grey)
 * or 3 (RGB), values channel-last. Standardised pixels are mapped back to 0–1 with the
 * dataset's own statistics; without them, each image is stretched to its own min–max.
 * Null when the input is not an image.
 */
export function exampleImage(values: Float32Array, shape: readonly number[], pixels?: PixelStandardisation): string | null {
  if (shape.length !== 3) return null;
  const [height, width, channels] = shape as [number, number, number];
  if ((channels !== 1 && channels !== 3) || values.length !== height * width * channels) return null;
  const unit = toUnit(values, channels, pixels);
  const png = new PNG({ width, height });
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = Math.round(255 * clamp(unit[p * channels + (channels === 1 ? 0 : c)]!));
    png.data[p * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

function toUnit(values: Float32Array, channels: number, pixels?: PixelStandardisation): Float32Array {
  const out = new Float32Array(values.length);
  if (pixels) {
    const at = (list: number[], c: number) => list[list.length === 1 ? 0 : c]!;
    for (let i = 0; i < values.length; i++) out[i] = values[i]! * at(pixels.std, i % channels) + at(pixels.mean, i % channels);
    return out;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) (min = Math.min(min, v)), (max = Math.max(max, v));
  const span = max - min || 1;
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - min) / span;
  return out;
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
