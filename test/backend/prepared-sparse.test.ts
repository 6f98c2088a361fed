// prepareSparse (the index validated and copied once) against the plain kernels it replaces in training: the same
// results bit for bit (values and gradients in CSR or CSC order) on random and awkward shapes, on both backends and
// every ISA; a pattern that is not a CSR with its CSC transpose is refused with the field named; later changes to the
// caller's index arrays do not reach it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, ValueOrder } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, randomCsr, cscOf, assertExact, Rng } from './helpers.js';

const nb = nativeBackend();

test('prepared spmm, sddmm and backward equal the plain kernels bit for bit, values in CSR or CSC order (both backends, every ISA, strided sources)', () => {
  const rng = new Rng(4101);
  for (let t = 0; t < 120; t++) {
    const rows = pickSize(rng, 40), cols = pickSize(rng, 50);
    const n = [0, 1, 15, 16, 17, 60, 64, 65, 130][t % 9]!;
    const w = randomCsr(rng, rows, cols, [0, 0.02, 0.1, 0.5, 1][t % 5]!), csc = cscOf(w), nnz = w.colIdx.length;
    const ld = t % 2 === 0 ? n : n + 1 + rng.int(20);  // X and dY rows ld apart
    const x = randF32(rng, cols * ld), dy = randF32(rng, rows * ld), dyPacked = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) dyPacked.set(dy.subarray(r * ld, r * ld + n), r * n);
    // CSC order: entry i of the CSC index holds CSR entry perm[i]'s value (and gradient)
    const inOrder = (a: Float32Array, order: ValueOrder): Float32Array => order === 'csr' ? a : Float32Array.from(csc.perm, (q) => a[q]!);
    const check = (be: Backend, order: ValueOrder, what: string): void => {
      const p = be.prepareSparse(rows, cols, w.rowPtr, w.colIdx, csc.colPtr, csc.rowIdx, csc.perm, order);
      assert.deepEqual([p.rows, p.cols, p.nnz, p.order], [rows, cols, nnz, order]);
      const values = inOrder(w.values, order);
      const y = new Float32Array(rows * n).fill(NaN), y0 = new Float32Array(rows * n).fill(NaN);
      p.spmm(values, x, n, y, ld);
      be.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, 0, y0, ld);
      assertExact(y, y0, `${what} spmm case ${t}`);
      const g = new Float32Array(nnz).fill(NaN), g0 = new Float32Array(nnz).fill(NaN);
      p.sddmm(dyPacked, x, n, g, ld);
      be.sddmm(rows, w.rowPtr, w.colIdx, dyPacked, x, n, g0, ld);
      assertExact(g, inOrder(g0, order), `${what} sddmm case ${t}`);
      const dx = new Float32Array(cols * n).fill(NaN), dx0 = new Float32Array(cols * n).fill(NaN);
      g.fill(NaN); g0.fill(NaN);
      p.backward(values, dy, x, n, dx, g, ld, ld);
      be.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx0, g0, ld, ld);
      assertExact(dx, dx0, `${what} backward dx case ${t}`);
      assertExact(g, inOrder(g0, order), `${what} backward grad case ${t}`);
    };
    for (const order of ['csr', 'csc'] as const) {
      check(ref, order, `reference ${order}`);
      forEachIsa(nb, (isa) => check(nb, order, `${isa} ${order}`));
    }
  }
});

test('prepareSparse keeps its own copy: changing the caller\'s index afterwards changes nothing', () => {
  const rng = new Rng(4102);
  const w = randomCsr(rng, 30, 40, 0.2), csc = cscOf(w), n = 8;
  const x = randF32(rng, 40 * n);
  for (const be of [ref, nb] as Backend[]) {
    const colIdx = w.colIdx.slice();
    const p = be.prepareSparse(30, 40, w.rowPtr, colIdx, csc.colPtr, csc.rowIdx, csc.perm);
    const before = new Float32Array(30 * n), after = new Float32Array(30 * n);
    p.spmm(w.values, x, n, before);
    colIdx.fill(1 << 30);  // out of range: the plain kernels would refuse it
    p.spmm(w.values, x, n, after);
    assertExact(after, before, `${be.name}: spmm after the caller's colIdx changed`);
  }
});

test('prepareSparse refuses an index that is not a CSR with its CSC transpose, naming the field; its kernels check their arrays', () => {
  const rng = new Rng(4103);
  const w = randomCsr(rng, 6, 7, 0.5), csc = cscOf(w), nnz = w.colIdx.length, n = 4;
  assert.ok(nnz > 2);
  const bad = (patch: (a: { rowPtr: Int32Array; colIdx: Int32Array; colPtr: Int32Array; rowIdx: Int32Array; perm: Int32Array }) => void) => {
    const a = { rowPtr: w.rowPtr.slice(), colIdx: w.colIdx.slice(), colPtr: csc.colPtr.slice(), rowIdx: csc.rowIdx.slice(), perm: csc.perm.slice() };
    patch(a);
    return a;
  };
  const cases: Array<[string, ReturnType<typeof bad>, RegExp]> = [
    ['colIdx out of range', bad((a) => { a.colIdx[0] = 7; }), /colIdx/],
    ['rowIdx out of range', bad((a) => { a.rowIdx[0] = -1; }), /rowIdx|CSC/],
    ['perm out of range', bad((a) => { a.perm[0] = nnz; }), /perm|CSC/],
    ['perm repeats an entry', bad((a) => { a.perm[1] = a.perm[0]!; }), /CSC/],
    ['rowPtr not ending at nnz', bad((a) => { a.rowPtr[6] = nnz - 1; }), /rowPtr/],
    ['colPtr not starting at 0', bad((a) => { a.colPtr[0] = 1; }), /colPtr/],
    ['rows of a column swapped', bad((a) => { const c = Array.from({ length: 7 }, (_, i) => i).find((i) => a.colPtr[i + 1]! - a.colPtr[i]! >= 2)!; const q = a.colPtr[c]!; [a.rowIdx[q], a.rowIdx[q + 1]] = [a.rowIdx[q + 1]!, a.rowIdx[q]!]; [a.perm[q], a.perm[q + 1]] = [a.perm[q + 1]!, a.perm[q]!]; }), /CSC/],
  ];
  for (const be of [ref, nb] as Backend[]) {
    for (const [what, a, re] of cases) {
      assert.throws(() => be.prepareSparse(6, 7, a.rowPtr, a.colIdx, a.colPtr, a.rowIdx, a.perm), re, `${be.name}: ${what}`);
    }
  }
  const p = nb.prepareSparse(6, 7, w.rowPtr, w.colIdx, csc.colPtr, csc.rowIdx, csc.perm);
  const x = randF32(rng, 7 * n), dy = randF32(rng, 6 * n);
  assert.throws(() => p.spmm(w.values.subarray(1), x, n, new Float32Array(6 * n)), /values/);
  assert.throws(() => p.spmm(w.values, x.subarray(1), n, new Float32Array(6 * n)), /x/);
  assert.throws(() => p.backward(w.values, dy, x, n, new Float32Array(7 * n), new Float32Array(nnz - 1)), /grad/);
  assert.throws(() => p.sddmm(dy.subarray(1), x, n, new Float32Array(nnz)), /dy/);
});
