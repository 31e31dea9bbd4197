import type { RowBatch } from '../../shared/deployment.js';

/** Rows of equal width as a predict request carries them: float32 little-endian, base64. */
export function encodeRowBatch(rows: readonly (readonly number[])[]): RowBatch {
  const width = rows[0]?.length ?? 0;
  const values = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new RangeError(`row ${i + 1} has ${row.length} values, the first ${width}`);
    values.set(row, i * width);
  });
  // Float32Array is the platform's byte order; every machine Node supports is little-endian.
  return { rows: rows.length, width, float32Base64: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') };
}
