import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { checkCsr, csrToDense, denseToCsr } from '../../trainer/compression/csr-tensor.js';
import { sameValues } from '../support/compression-fixtures.js';

function sparse(length: number, density: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => (random() < density ? random() - 0.5 : 0));
}

describe('CSR tensors', () => {
  it('round-trips exactly, rows over all but the last axis', () => {
    for (const shape of [[5, 7], [3, 3, 2, 4], [9], [784, 256]]) {
      const dense = sparse(shape.reduce((a, b) => a * b, 1), 0.25, shape.length);
      const csr = denseToCsr(dense, shape);
      expect(csr.cols).toBe(shape[shape.length - 1]);
      expect(csr.rows * csr.cols).toBe(dense.length);
      expect(csr.values.length).toBe(dense.filter((v) => v !== 0).length);
      expect(sameValues(csrToDense(csr), dense), `[${shape.join(', ')}]`).toBe(true);
    }
  });

  it('keeps an all-zero row as an empty row and lays rows out as rowPtr/colIdx/values', () => {
    const dense = Float32Array.from([0, 2, 0, 0, 0, 0, 3, 0, 4]);
    const csr = denseToCsr(dense, [3, 3]);
    expect(Array.from(csr.rowPtr)).toEqual([0, 1, 1, 3]);
    expect(Array.from(csr.colIdx)).toEqual([1, 0, 2]);
    expect(Array.from(csr.values)).toEqual([2, 3, 4]);
  });

  it('uses uint16 column numbers up to 65536 columns and uint32 beyond', () => {
    expect(denseToCsr(new Float32Array(65536), [1, 65536]).colIdx).toBeInstanceOf(Uint16Array);
    const wide = new Float32Array(70000);
    wide[69999] = 1;
    const csr = denseToCsr(wide, [1, 70000]);
    expect(csr.colIdx).toBeInstanceOf(Uint32Array);
    expect(sameValues(csrToDense(csr), wide)).toBe(true);
  });

  it('stores int8 values, dropping each column\'s own zero point, and restores them exactly', () => {
    const zeroPoints = [0, -5, 7];
    const dense = Int8Array.from([0, -5, 7, 3, -5, 7, 0, 1, -128]);
    const csr = denseToCsr(dense, [3, 3], (c) => zeroPoints[c]!);
    expect(Array.from(csr.values)).toEqual([3, 1, -128]);
    expect(csrToDense(csr, (c) => zeroPoints[c]!)).toEqual(dense);
  });

  it('refuses a structure that is not a matrix, naming the bad entry', () => {
    const csr = denseToCsr(Float32Array.from([1, 0, 2, 0, 3, 0]), [2, 3]);
    expect(() => checkCsr({ ...csr, colIdx: Uint16Array.from([0, 3, 1]) })).toThrow(/colIdx\[1\] is 3, outside 0…2/);
    expect(() => checkCsr({ ...csr, colIdx: Uint16Array.from([2, 0, 1]) })).toThrow(/does not ascend within row 0/);
    expect(() => checkCsr({ ...csr, rowPtr: Uint32Array.from([0, 3, 2]) })).toThrow(/rowPtr\[2\] is 2, but there are 3/);
    expect(() => checkCsr({ ...csr, rowPtr: Uint32Array.from([1, 2, 3]) })).toThrow(/rowPtr\[0\] is 1, expected 0/);
  });
});
