import type { RowBatch } from '../shared/deployment.js';
import { InputError } from './input-error.js';

/** A predict request's rows as one float32 array, `rows × width`; a value that is not a finite number is refused naming its row. */
export function decodeRowBatch(batch: RowBatch): Float32Array {
  const bytes = Buffer.from(batch.float32Base64, 'base64');
  // A copy, so the array starts on a 4-byte boundary whatever Buffer's pool offset.
  const values = new Float32Array(new Uint8Array(bytes).buffer, 0, batch.rows * batch.width);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError('input', `input: row ${Math.floor(bad / batch.width) + 1} holds a value that is not a finite number`);
  return values;
}
