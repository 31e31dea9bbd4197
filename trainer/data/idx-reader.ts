import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** IDX element types (the third byte of the magic number) this reader accepts. */
const UNSIGNED_BYTE = 0x08;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

/**
 * Reads an IDX file (the MNIST family's format), gzipped or not: a big-endian magic number
 * (0, 0, type, rank), `rank` big-endian u32 dimensions, then the data.
 */
export async function readIdxFile(file: string): Promise<IdxArray> {
  const raw = await readFile(file);
  const bytes = file.endsWith('.gz') ? new Uint8Array(await gunzipAsync(raw)) : new Uint8Array(raw);
  return parseIdx(bytes, file);
}

export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new IdxFormatError(`${name}: not an IDX file (bad magic number)`);
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (type !== UNSIGNED_BYTE) throw new IdxFormatError(`${name}: element type 0x${type.toString(16)} is not supported (only unsigned bytes)`);
  if (rank < 1 || bytes.length < 4 + 4 * rank) throw new IdxFormatError(`${name}: truncated header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * rank;
  if (bytes.length - offset !== size) {
    throw new IdxFormatError(`${name}: header says ${dims.join('×')} = ${size} values but the file holds ${bytes.length - offset}`);
  }
  return { dims, data: bytes.subarray(offset) };
}
