// cscIndex against the obvious construction: for each column, scan the rows in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cscIndex } from '../../src/backend/csc.js';
import { randomCsr, Rng } from './helpers.js';

function obvious(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array) {
  const colPtr = [0], rowIdx: number[] = [], perm: number[] = [];
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) if (colIdx[q] === c) { rowIdx.push(r); perm.push(q); }
    colPtr.push(rowIdx.length);
  }
  return { colPtr: Int32Array.from(colPtr), rowIdx: Int32Array.from(rowIdx), perm: Int32Array.from(perm) };
}

test('cscIndex: the same index as scanning each column, on random and degenerate shapes', () => {
  const rng = new Rng(5);
  for (const [rows, cols, density] of [[1, 1, 1], [0, 3, 1], [3, 0, 1], [7, 5, 0], [7, 5, 1], [13, 17, 0.3], [40, 9, 0.05], [9, 40, 0.6]] as const) {
    const a = randomCsr(rng, rows, cols, density);
    assert.deepEqual(cscIndex(rows, cols, a.rowPtr, a.colIdx), obvious(rows, cols, a.rowPtr, a.colIdx), `${rows}×${cols} at ${density}`);
  }
});

test('cscIndex: into the arrays of an older index (as updateSparsity reuses them), every entry is rewritten', () => {
  const a = randomCsr(new Rng(6), 20, 30, 0.2);
  const into = cscIndex(20, 30, a.rowPtr, a.colIdx);
  // The same rows and count, each row's columns mirrored (c → 29 − c) and ascending again: another pattern, same nnz.
  const mirrored = new Int32Array(a.colIdx.length);
  for (let r = 0; r < 20; r++) {
    const row = Array.from(a.colIdx.subarray(a.rowPtr[r]!, a.rowPtr[r + 1]!), (c) => 29 - c).sort((x, y) => x - y);
    mirrored.set(row, a.rowPtr[r]!);
  }
  const want = obvious(20, 30, a.rowPtr, mirrored);
  assert.notDeepEqual(want, obvious(20, 30, a.rowPtr, a.colIdx));
  assert.equal(cscIndex(20, 30, a.rowPtr, mirrored, into), into);
  assert.deepEqual(into, want);
});
