// The CSC index of a sparse matrix kept in CSR (the layout sparseBackward, spmmT and prepareSparse take beside it).

/** colPtr [cols + 1], rowIdx [nnz] (rows ascending within a column), perm [nnz]: each entry's position in the CSR arrays. */
export interface CscIndex { colPtr: Int32Array; rowIdx: Int32Array; perm: Int32Array }

/**
 * The CSC index over the nonzeros of the CSR pattern (rowPtr, colIdx): a counting sort by column, so that rows stay
 * ascending within a column. Written into `into` when given (arrays already of the right lengths), else allocated.
 */
export function cscIndex(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, into?: CscIndex): CscIndex {
  const nnz = colIdx.length;
  const out = into ?? { colPtr: new Int32Array(cols + 1), rowIdx: new Int32Array(nnz), perm: new Int32Array(nnz) };
  const { colPtr, rowIdx, perm } = out;
  colPtr.fill(0);
  for (let q = 0; q < nnz; q++) colPtr[colIdx[q]! + 1]!++;
  for (let c = 0; c < cols; c++) colPtr[c + 1] = colPtr[c + 1]! + colPtr[c]!;
  const fill = colPtr.slice(0, cols);
  for (let r = 0; r < rows; r++) {
    for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) {
      const dst = fill[colIdx[q]!]!++;
      rowIdx[dst] = r; perm[dst] = q;
    }
  }
  return out;
}
