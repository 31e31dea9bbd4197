/**
 * A tensor as compressed sparse rows over `[rows, cols]`: cols is its last axis, rows the
 * product of the others (a rank-1 tensor is one row). `rowPtr[r]…rowPtr[r + 1]` index row r's
 * entries in `colIdx` (ascending) and `values`. Column numbers are uint16 when cols ≤ 65536.
 */
export interface CsrTensor<V extends Float32Array | Int8Array = Float32Array> {
  shape: number[];
  rows: number;
  cols: number;
  rowPtr: Uint32Array;
  colIdx: Uint16Array | Uint32Array;
  values: V;
}

export function csrGeometry(shape: readonly number[]): { rows: number; cols: number } {
  const cols = shape[shape.length - 1]!;
  return { rows: shape.reduce((a, b) => a * b, 1) / cols, cols };
}

/**
 * The entries of `dense` that are not their column's zero (0 unless `zeroOf` says otherwise:
 * an asymmetric int8 tensor's zero is its channel's zero point), so `csrToDense` restores
 * `dense` exactly.
 */
export function denseToCsr<V extends Float32Array | Int8Array>(dense: V, shape: readonly number[], zeroOf: (col: number) => number = () => 0): CsrTensor<V> {
  const { rows, cols } = csrGeometry(shape);
  if (rows * cols !== dense.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${rows * cols} values, got ${dense.length}`);
  const zeros = Array.from({ length: cols }, (_, c) => zeroOf(c));
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== zeros[i % cols]) nnz++;
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx = cols <= 0x10000 ? new Uint16Array(nnz) : new Uint32Array(nnz);
  const values = new (dense.constructor as { new (n: number): V })(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, i = r * cols; c < cols; c++, i++) {
      if (dense[i] !== zeros[c]) {
        colIdx[k] = c;
        values[k] = dense[i]!;
        k++;
      }
    }
    rowPtr[r + 1] = k;
  }
  return { shape: [...shape], rows, cols, rowPtr, colIdx, values };
}

export function csrToDense<V extends Float32Array | Int8Array>(csr: CsrTensor<V>, zeroOf: (col: number) => number = () => 0): V {
  checkCsr(csr);
  const dense = new (csr.values.constructor as { new (n: number): V })(csr.rows * csr.cols);
  if (dense instanceof Int8Array) for (let i = 0; i < dense.length; i++) dense[i] = zeroOf(i % csr.cols);
  for (let r = 0; r < csr.rows; r++) {
    for (let k = csr.rowPtr[r]!; k < csr.rowPtr[r + 1]!; k++) dense[r * csr.cols + csr.colIdx[k]!] = csr.values[k]!;
  }
  return dense;
}

/** Refuses row pointers or column numbers that do not describe a `rows × cols` matrix, naming the first bad one. */
export function checkCsr(csr: CsrTensor<Float32Array | Int8Array>): void {
  const { rows, cols, rowPtr, colIdx, values } = csr;
  if (rowPtr.length !== rows + 1) throw new RangeError(`rowPtr has ${rowPtr.length} entries, expected rows + 1 = ${rows + 1}`);
  if (rowPtr[0] !== 0) throw new RangeError(`rowPtr[0] is ${rowPtr[0]}, expected 0`);
  if (rowPtr[rows] !== values.length || colIdx.length !== values.length) {
    throw new RangeError(`rowPtr[${rows}] is ${rowPtr[rows]}, but there are ${colIdx.length} column numbers and ${values.length} values`);
  }
  for (let r = 0; r < rows; r++) {
    if (rowPtr[r + 1]! < rowPtr[r]!) throw new RangeError(`rowPtr[${r + 1}] (${rowPtr[r + 1]}) is below rowPtr[${r}] (${rowPtr[r]})`);
    for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) {
      const c = colIdx[k]!;
      if (c >= cols) throw new RangeError(`colIdx[${k}] is ${c}, outside 0…${cols - 1}`);
      if (k > rowPtr[r]! && c <= colIdx[k - 1]!) throw new RangeError(`colIdx[${k}] (${c}) does not ascend within row ${r}`);
    }
  }
}
