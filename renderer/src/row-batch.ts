import type { RowBatch } from '../../shared/deployment.js';

/** Rows of equal width as a predict request carries them: float32 little-endian, base64 (the browser's btoa). */
export function encodeRowBatch(rows: readonly (readonly number[])[]): RowBatch {
  const width = rows[0]?.length ?? 0;
  const values = new Float32Array(rows.length * width);
  rows.forEach((row, i) => values.set(row, i * width));
  const bytes = new Uint8Array(values.buffer);
  let text = '';
  // In slices: one spread of a whole batch would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { rows: rows.length, width, float32Base64: btoa(text) };
}
