import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { float16ToFloat32, float32ToFloat16 } from '../../trainer/compression/float16.js';

const half = (x: number) => float32ToFloat16(Float32Array.of(x))[0]!;
const widen = (bits: number) => float16ToFloat32(Uint16Array.of(bits))[0]!;

describe('float16', () => {
  it('encodes representable values bit for bit', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [3 * 2 ** -24, 0x0003], [1 + 2 ** -10, 0x3c01],
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) {
      expect(half(value), `${value}`).toBe(bits);
      expect(Object.is(widen(bits), value), `${bits.toString(16)}`).toBe(true);
    }
  });

  it('round-trips every half value exactly, and keeps NaN a NaN', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const widened = float16ToFloat32(all);
    const back = float32ToFloat16(widened);
    for (let bits = 0; bits < 0x10000; bits++) {
      const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(widened[bits]!) && (back[bits]! & 0x7c00) === 0x7c00 && (back[bits]! & 0x3ff) !== 0).toBe(true);
      else if (back[bits] !== bits) expect.fail(`half ${bits.toString(16)} came back as ${back[bits]!.toString(16)}`);
    }
  });

  it('rounds to nearest, ties to even, including subnormals and overflow', () => {
    expect(widen(half(1 + 2 ** -11))).toBe(1);
    expect(widen(half(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(widen(half(1 + 2 ** -11 + 2 ** -20))).toBe(1 + 2 ** -10);
    expect(widen(half(65519))).toBe(65504);
    expect(widen(half(65520))).toBe(Infinity);
    expect(widen(half(-1e6))).toBe(-Infinity);
    expect(Object.is(widen(half(2 ** -25)), 0)).toBe(true);
    expect(Object.is(widen(half(-(2 ** -26))), -0)).toBe(true);
    expect(widen(half(1.5 * 2 ** -25))).toBe(2 ** -24);
    expect(widen(half(3 * 2 ** -25))).toBe(2 ** -23);
    expect(widen(half(5 * 2 ** -25))).toBe(2 ** -23);
    expect(widen(half(2 ** -14 - 2 ** -26))).toBe(2 ** -14);
    expect(widen(half(1e-45))).toBe(0);
  });

  it('picks the nearest half for arbitrary floats (no neighbour is closer)', () => {
    const random = seededRandom(7);
    const values = Float32Array.from({ length: 20000 }, () => (random() - 0.5) * 2 ** Math.floor(random() * 40 - 28));
    const halves = float32ToFloat16(values);
    for (let i = 0; i < values.length; i++) {
      const h = halves[i]!;
      const error = Math.abs(values[i]! - widen(h));
      for (const neighbour of [h - 1, h + 1]) {
        if ((neighbour & 0x7fff) >= 0x7c00 || neighbour < 0 || (neighbour & 0x8000) !== (h & 0x8000)) continue;
        expect(Math.abs(values[i]! - widen(neighbour))).toBeGreaterThanOrEqual(error);
      }
    }
  });
});
