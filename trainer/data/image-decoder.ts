import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A decoded image: `width × height` pixels, RGBA, 8 bits per channel, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Decoding stops at images larger than this, so one huge or hostile file cannot exhaust memory. */
const MAX_MEGAPIXELS = 64;

/** Decodes PNG or JPEG bytes, recognised by their signature rather than the file name; throws with a short reason otherwise. */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    } catch (error) {
      throw new Error(`not a valid PNG (${(error as Error).message})`);
    }
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
      if (image.width === 0 || image.height === 0) throw new Error('no image data');
      return { width: image.width, height: image.height, data: image.data };
    } catch (error) {
      throw new Error(`not a valid JPEG (${(error as Error).message})`);
    }
  }
  return throwUnknown(bytes);
}

function throwUnknown(bytes: Uint8Array): never {
  throw new Error(bytes.length === 0 ? 'empty file' : 'neither a PNG nor a JPEG (unknown file signature)');
}

/**
 * Whether any pixel has colour. JPEG's chroma rounding leaves grey pixels a few levels apart,
 * hence the tolerance.
 */
export function hasColour(image: RgbaImage, tolerance = 12): boolean {
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
    if (Math.abs(r - g) > tolerance || Math.abs(g - b) > tolerance || Math.abs(r - b) > tolerance) return true;
  }
  return false;
}
