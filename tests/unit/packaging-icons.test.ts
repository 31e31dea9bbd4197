import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

/**
 * The icons electron-builder.yml names, as scripts/render-icon.mjs wrote them from their SVGs:
 * the app icon it converts per platform, and the .hpcrun document icons it copies as they are
 * (a broken .icns or .ico would only show up on a Mac or Windows desktop).
 */
const RESOURCES = join(import.meta.dirname, '../../resources');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('the app and document icons', () => {
  it('icon.png is 1024×1024 with a transparent background', () => {
    const png = PNG.sync.read(readFileSync(join(RESOURCES, 'icon.png')));
    expect([png.width, png.height]).toEqual([1024, 1024]);
    const alphaAt = (x: number, y: number) => png.data[(y * png.width + x) * 4 + 3];
    expect([alphaAt(0, 0), alphaAt(1023, 0), alphaAt(0, 1023), alphaAt(1023, 1023)]).toEqual([0, 0, 0, 0]);
    expect(alphaAt(512, 512)).toBe(255);
  });

  it('hpcrun.ico holds a PNG image for each size Windows asks for, up to 256', () => {
    const ico = readFileSync(join(RESOURCES, 'hpcrun.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
      const entry = 6 + 16 * i;
      const declared = ico[entry] || 256;
      const png = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8));
      expect(pngSize(png)).toEqual([declared, declared]);
      return declared;
    });
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('hpcrun.icns holds a PNG of the right size in each element, 16 to 1024 pixels', () => {
    const icns = readFileSync(join(RESOURCES, 'hpcrun.icns'));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const expected: Record<string, number> = { icp4: 16, icp5: 32, ic11: 32, icp6: 64, ic12: 64, ic07: 128, ic08: 256, ic13: 256, ic09: 512, ic14: 512, ic10: 1024 };
    const found: Record<string, number> = {};
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
      const type = icns.toString('latin1', at, at + 4);
      const [width, height] = pngSize(icns.subarray(at + 8, at + icns.readUInt32BE(at + 4)));
      expect(width, type).toBe(height);
      found[type] = width;
    }
    expect(found).toEqual(expected);
  });
});
