import { describe, expect, it } from 'vitest';
import { decodeImage, hasColour } from '../../trainer/data/image-decoder.js';
import { resizeImage } from '../../trainer/data/image-resize.js';
import { encodeJpeg, encodePng } from '../support/synthetic-shapes.js';

/** A `width × height` RGBA raster: left half `left`, right half `right`. */
function halves(width: number, height: number, left: number[], right: number[]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...(x < width / 2 ? left : right), 255], (y * width + x) * 4);
  }
  return data;
}

describe('decoding PNG and JPEG files', () => {
  it('reads a greyscale PNG (colour type 0) back pixel for pixel, as grey', () => {
    const rgba = halves(10, 6, [30, 30, 30], [200, 200, 200]);
    const image = decodeImage(encodePng(rgba, 10, 6, false));
    expect([image.width, image.height]).toEqual([10, 6]);
    expect(Array.from(image.data)).toEqual(Array.from(rgba));
    expect(hasColour(image)).toBe(false);
  });

  it('reads an RGB PNG and sees its colour', () => {
    const rgba = halves(8, 8, [255, 0, 0], [0, 0, 255]);
    const image = decodeImage(encodePng(rgba, 8, 8, true));
    expect(Array.from(image.data.subarray(0, 4))).toEqual([255, 0, 0, 255]);
    expect(hasColour(image)).toBe(true);
  });

  it('reads grey and colour JPEGs within JPEG rounding, telling them apart', () => {
    const grey = decodeImage(encodeJpeg(halves(32, 16, [40, 40, 40], [220, 220, 220]), 32, 16));
    expect([grey.width, grey.height]).toEqual([32, 16]);
    expect(grey.data[0]).toBeCloseTo(40, -1);
    expect(grey.data[(16 * 32 - 1) * 4]).toBeCloseTo(220, -1);
    expect(hasColour(grey)).toBe(false);
    const colour = decodeImage(encodeJpeg(halves(32, 16, [220, 30, 30], [30, 200, 30]), 32, 16));
    expect(hasColour(colour)).toBe(true);
  });

  it('rejects a file that is neither, or a truncated PNG, with a reason', () => {
    expect(() => decodeImage(new TextEncoder().encode('hello'))).toThrow(/neither a PNG nor a JPEG/);
    expect(() => decodeImage(new Uint8Array())).toThrow(/empty file/);
    const png = encodePng(halves(8, 8, [0, 0, 0], [255, 255, 255]), 8, 8, false);
    expect(() => decodeImage(png.subarray(0, 30))).toThrow(/not a valid PNG/);
  });
});

describe('resizing to the model input', () => {
  it('area-averages when shrinking: each output pixel is the mean of the pixels it covers', () => {
    const image = { width: 4, height: 2, data: halves(4, 2, [0, 0, 0], [200, 200, 200]) };
    expect(Array.from(resizeImage(image, 2, 1))).toEqual([0, 200, 0, 200]);
    // 1.5 source columns per output column: the second covers half a black column and a whole grey one.
    const odd = { width: 3, height: 3, data: halves(3, 3, [0, 0, 0], [90, 90, 90]) };
    expect(Array.from(resizeImage(odd, 2, 1)).slice(0, 2)).toEqual([0, 60]);
  });

  it('interpolates bilinearly when growing', () => {
    const image = { width: 2, height: 1, data: Uint8Array.of(0, 0, 0, 255, 100, 100, 100, 255) };
    expect(Array.from(resizeImage(image, 4, 1)).slice(0, 4)).toEqual([0, 25, 75, 100]);
  });

  it('keeps RGB in HWC order, or takes the luma for one channel', () => {
    const image = { width: 2, height: 2, data: halves(2, 2, [255, 0, 0], [0, 0, 255]) };
    expect(Array.from(resizeImage(image, 2, 3))).toEqual([255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255]);
    expect(Array.from(resizeImage(image, 2, 1))).toEqual([76, 29, 76, 29]);
  });
});
