/**
 * float32 ↔ IEEE 754 binary16 ("half"), bit for bit: round to nearest, ties to even; values
 * below half the smallest subnormal (2⁻²⁵) become ±0, values from 65520 up become ±Infinity,
 * subnormals are kept, NaN stays NaN (quiet, its top payload bits kept). Every half value
 * converts to float32 exactly, so float32 → half → float32 is exact for representable values.
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfBits(bits[i]!);
  return out;
}

export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      // Subnormal or zero: mantissa × 2⁻²⁴, exact in float32.
      out[i] = (sign ? -1 : 1) * mantissa * 2 ** -24;
    } else if (exponent === 0x1f) {
      bits[i] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else {
      bits[i] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  return out;
}

function halfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    // A carry out of the subnormal range lands on the smallest normal, which is the right bits.
    return sign | h;
  }
  let h = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and out of the largest finite value gives Infinity.
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}
