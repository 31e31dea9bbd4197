import type { RgbaImage } from './image-decoder.js';

/**
 * Resamples to `size × size × channels` bytes, row-major HWC: area averaging where the image
 * shrinks (no aliasing from skipped pixels), bilinear where it grows. Transparent pixels are
 * composited on black; `channels` 1 takes the luma (ITU-R BT.601), 3 keeps RGB.
 */
export function resizeImage(image: RgbaImage, size: number, channels: 1 | 3): Uint8Array {
  const planes = toPlanes(image, channels);
  const xs = axisWeights(image.width, size);
  const ys = axisWeights(image.height, size);
  const out = new Uint8Array(size * size * channels);
  const row = new Float32Array(size);
  for (let c = 0; c < channels; c++) {
    const src = planes[c]!;
    // Horizontal pass over every source row, then vertical over the resampled rows.
    const wide = new Float32Array(image.height * size);
    for (let y = 0; y < image.height; y++) {
      resample1d(src, y * image.width, 1, xs, row);
      wide.set(row, y * size);
    }
    for (let x = 0; x < size; x++) {
      resample1d(wide, x, size, ys, row);
      for (let y = 0; y < size; y++) out[(y * size + x) * channels + c] = Math.max(0, Math.min(255, Math.round(row[y]!)));
    }
  }
  return out;
}

interface Weights {
  start: Int32Array;
  count: Int32Array;
  weight: Float32Array[];
}

/** For each output index along one axis, the source indices and weights that make it. */
function axisWeights(from: number, to: number): Weights {
  const scale = from / to;
  const start = new Int32Array(to);
  const count = new Int32Array(to);
  const weight: Float32Array[] = [];
  for (let i = 0; i < to; i++) {
    if (scale > 1) {
      const lo = i * scale;
      const hi = lo + scale;
      const first = Math.floor(lo);
      const last = Math.min(from - 1, Math.ceil(hi) - 1);
      const w = new Float32Array(last - first + 1);
      for (let s = first; s <= last; s++) w[s - first] = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
      start[i] = first;
      count[i] = w.length;
      weight.push(w);
    } else {
      const centre = Math.max(0, Math.min(from - 1, (i + 0.5) * scale - 0.5));
      const first = Math.floor(centre);
      const t = centre - first;
      const second = Math.min(from - 1, first + 1);
      start[i] = first;
      count[i] = second === first ? 1 : 2;
      weight.push(second === first ? Float32Array.of(1) : Float32Array.of(1 - t, t));
    }
  }
  return { start, count, weight };
}

function resample1d(src: Float32Array, offset: number, stride: number, w: Weights, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const weights = w.weight[i]!;
    let sum = 0;
    for (let k = 0; k < w.count[i]!; k++) sum += src[offset + (w.start[i]! + k) * stride]! * weights[k]!;
    out[i] = sum;
  }
}

function toPlanes(image: RgbaImage, channels: 1 | 3): Float32Array[] {
  const n = image.width * image.height;
  const planes = Array.from({ length: channels }, () => new Float32Array(n));
  const d = image.data;
  for (let p = 0; p < n; p++) {
    const a = d[p * 4 + 3]! / 255;
    const r = d[p * 4]! * a, g = d[p * 4 + 1]! * a, b = d[p * 4 + 2]! * a;
    if (channels === 1) planes[0]![p] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      planes[0]![p] = r;
      planes[1]![p] = g;
      planes[2]![p] = b;
    }
  }
  return planes;
}
