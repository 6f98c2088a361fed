// Native spmm / spmmT / sddmm vs the reference: random CSR matrices at density 0…1 (empty rows
// included), batch sizes around the SIMD widths, beta 0 and ≠ 0, every ISA level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, randomCsr, cscOf, assertClose, assertExact, Rng, REL_TOL } from './helpers.js';

const nb = nativeBackend();
const DENSITIES = [0, 0.02, 0.1, 0.3, 0.7, 1];

function randomCase(rng: Rng, t: number) {
  const rows = pickSize(rng, 40), cols = pickSize(rng, 50);
  const n = t % 7 === 0 ? 60 + rng.int(150) : pickSize(rng, 70);  // some n beyond one 64-column chunk
  const w = randomCsr(rng, rows, cols, DENSITIES[t % DENSITIES.length]!);
  const beta = [0, 1, -0.5][rng.int(3)]!;
  return { rows, cols, n, w, beta };
}

test('spmm matches the reference on 240 random cases, every ISA', () => {
  const rng = new Rng(2001);
  for (let t = 0; t < 240; t++) {
    const { rows, cols, n, w, beta } = randomCase(rng, t);
    const x = randF32(rng, cols * n);              // X [cols×n]
    const y0 = randF32(rng, rows * n);             // Y [rows×n]
    if (beta === 0) y0.fill(NaN, 0, Math.min(5, y0.length));
    const want = y0.slice();
    ref.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, beta, want);
    const bound = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
      let s = beta === 0 ? 0 : Math.abs(beta * y0[r * n + j]!);
      for (let p = w.rowPtr[r]!; p < w.rowPtr[r + 1]!; p++) s += Math.abs(w.values[p]! * x[w.colIdx[p]! * n + j]!);
      bound[r * n + j] = s;
    }
    forEachIsa(nb, (isa) => {
      const got = y0.slice();
      nb.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, beta, got);
      assertClose(got, want, bound, `spmm ${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${w.colIdx.length} beta=${beta}`);
    });
  }
});

test('spmmT matches the reference on 240 random cases, every ISA', () => {
  const rng = new Rng(2002);
  for (let t = 0; t < 240; t++) {
    const { rows, cols, n, w, beta } = randomCase(rng, t);
    const csc = cscOf(w);
    const dy = randF32(rng, rows * n);             // dY [rows×n]
    const dx0 = randF32(rng, cols * n);            // dX [cols×n]
    if (beta === 0) dx0.fill(NaN, 0, Math.min(5, dx0.length));
    const want = dx0.slice();
    ref.spmmT(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, beta, want);
    const bound = new Float64Array(cols * n);
    for (let c = 0; c < cols; c++) for (let j = 0; j < n; j++) {
      let s = beta === 0 ? 0 : Math.abs(beta * dx0[c * n + j]!);
      for (let q = csc.colPtr[c]!; q < csc.colPtr[c + 1]!; q++) s += Math.abs(w.values[csc.perm[q]!]! * dy[csc.rowIdx[q]! * n + j]!);
      bound[c * n + j] = s;
    }
    forEachIsa(nb, (isa) => {
      const got = dx0.slice();
      nb.spmmT(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, beta, got);
      assertClose(got, want, bound, `spmmT ${isa} case ${t} rows=${rows} cols=${cols} n=${n} beta=${beta}`);
    });
  }
});

test('sddmm matches the reference on 240 random cases, every ISA', () => {
  const rng = new Rng(2003);
  for (let t = 0; t < 240; t++) {
    const { rows, cols, n, w } = randomCase(rng, t);
    const dy = randF32(rng, rows * n);             // dY [rows×n]
    const x = randF32(rng, cols * n);              // X [cols×n]
    const nnz = w.colIdx.length;
    const out0 = new Float32Array(nnz).fill(NaN);  // out [nnz], fully overwritten
    const want = out0.slice();
    ref.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, want);
    const bound = new Float64Array(nnz);
    for (let r = 0; r < rows; r++) for (let p = w.rowPtr[r]!; p < w.rowPtr[r + 1]!; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.abs(dy[r * n + j]! * x[w.colIdx[p]! * n + j]!);
      bound[p] = s;
    }
    forEachIsa(nb, (isa) => {
      const got = out0.slice();
      nb.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, got);
      assertClose(got, want, bound, `sddmm ${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${nnz}`);
    });
  }
});

test('sparse kernels at the LeNet layer-1 shape (300×784, batch 60, 5% density)', () => {
  const rng = new Rng(2004);
  const w = randomCsr(rng, 300, 784, 0.05), csc = cscOf(w), n = 60;
  const x = randF32(rng, 784 * n), dy = randF32(rng, 300 * n);
  const y = new Float32Array(300 * n), dx = new Float32Array(784 * n), g = new Float32Array(w.colIdx.length);
  ref.spmm(300, 784, w.rowPtr, w.colIdx, w.values, x, n, 0, y);
  ref.spmmT(300, 784, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, 0, dx);
  ref.sddmm(300, w.rowPtr, w.colIdx, dy, x, n, g);
  forEachIsa(nb, (isa) => {
    const y2 = new Float32Array(y.length), dx2 = new Float32Array(dx.length), g2 = new Float32Array(g.length);
    nb.spmm(300, 784, w.rowPtr, w.colIdx, w.values, x, n, 0, y2);
    nb.spmmT(300, 784, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, 0, dx2);
    nb.sddmm(300, w.rowPtr, w.colIdx, dy, x, n, g2);
    // Magnitude-based bound here: |terms| ≤ 1, at most (row nnz) terms per output.
    assertClose(y2, y, new Float64Array(y.length).fill(784), `spmm ${isa}`);
    assertClose(dx2, dx, new Float64Array(dx.length).fill(300), `spmmT ${isa}`);
    assertClose(g2, g, new Float64Array(g.length).fill(n), `sddmm ${isa}`);
    assert.ok(y2.some((v) => v !== 0));
  });
});

// The kernels copy a misaligned or odd-width source to an aligned scratch when its rows are reused
// enough (sparse.cc); the arithmetic must not depend on that: the same call on sources at every float
// offset inside a buffer (aligned or not), with the copy taken (dense enough) or not (too sparse, or a
// source with many unused rows), gives bit-identical results.
test('sparse kernels: results do not depend on source alignment or the aligned-copy path, every ISA', () => {
  const rng = new Rng(2005);
  for (let t = 0; t < 60; t++) {
    const rows = 1 + rng.int(70), cols = 1 + rng.int(90);
    const n = [1, 7, 15, 16, 17, 33, 60, 64, 65, 100, 256, 768][t % 12]!;  // 256, 768: rows of whole KB, chunks packed
    const w = randomCsr(rng, rows, cols, [0.01, 0.05, 0.3, 1][t % 4]!);
    const csc = cscOf(w);
    const x = randF32(rng, cols * n), dy = randF32(rng, rows * n);
    const extra = t % 3 === 0 ? 200 : 0;  // unused source rows beyond the matrix: makes the copy not pay
    forEachIsa(nb, (isa) => {
      let first: { y: Float32Array; dx: Float32Array; g: Float32Array } | null = null;
      for (let off = 0; off < 17; off++) {
        const xb = new Float32Array(off + (cols + extra) * n), db = new Float32Array(off + (rows + extra) * n);
        xb.set(x, off); db.set(dy, off);
        const xs = xb.subarray(off), ds = db.subarray(off);
        const y = new Float32Array(rows * n), dx = new Float32Array(cols * n), g = new Float32Array(w.colIdx.length);
        nb.spmm(rows, cols + extra, w.rowPtr, w.colIdx, w.values, xs, n, 0, y);
        nb.spmmT(rows + extra, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, ds, n, 0, dx);
        nb.sddmm(rows, w.rowPtr, w.colIdx, ds, xs, n, g);
        if (!first) { first = { y, dx, g }; continue; }
        const what = `${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${w.colIdx.length} offset=${off}`;
        assertExact(y, first.y, `spmm ${what}`);
        assertExact(dx, first.dx, `spmmT ${what}`);
        assertExact(g, first.g, `sddmm ${what}`);
      }
    });
  }
});

// sparseBackward fuses spmmT and sddmm (one pass over the CSC index). It must match the reference, and equal
// the two separate native calls bit for bit — the trained weights of every sparse run depend on that.
test('sparseBackward matches the reference and equals spmmT + sddmm bit for bit, every ISA', () => {
  const rng = new Rng(2006);
  for (let t = 0; t < 300; t++) {
    const { rows, cols, w, beta } = randomCase(rng, t);
    // n: 0, around the vector widths and the 64-column register block, and beyond it
    const n = t % 5 === 0 ? [0, 1, 3, 4, 5, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 130][t % 18]! : pickSize(rng, 70);
    const csc = cscOf(w), nnz = w.colIdx.length;
    const off = rng.int(5);  // a misaligned start for dY and X
    const xb = randF32(rng, off + cols * n), db = randF32(rng, off + rows * n);
    const x = xb.subarray(off), dy = db.subarray(off);
    const dx0 = randF32(rng, cols * n);
    if (beta === 0) dx0.fill(NaN, 0, Math.min(5, dx0.length));
    const wantDx = dx0.slice(), wantG = new Float32Array(nnz).fill(NaN);
    ref.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, beta, wantDx, wantG);
    const refDx = dx0.slice(), refG = new Float32Array(nnz);
    ref.spmmT(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, beta, refDx);
    ref.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, refG);
    assertExact(wantDx, refDx, `reference sparseBackward dx case ${t}`);
    assertExact(wantG, refG, `reference sparseBackward grad case ${t}`);
    const boundDx = new Float64Array(cols * n), boundG = new Float64Array(nnz);
    for (let c = 0; c < cols; c++) for (let j = 0; j < n; j++) {
      let s = beta === 0 ? 0 : Math.abs(beta * dx0[c * n + j]!);
      for (let q = csc.colPtr[c]!; q < csc.colPtr[c + 1]!; q++) s += Math.abs(w.values[csc.perm[q]!]! * dy[csc.rowIdx[q]! * n + j]!);
      boundDx[c * n + j] = s;
    }
    for (let r = 0; r < rows; r++) for (let p = w.rowPtr[r]!; p < w.rowPtr[r + 1]!; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.abs(dy[r * n + j]! * x[w.colIdx[p]! * n + j]!);
      boundG[p] = s;
    }
    forEachIsa(nb, (isa) => {
      const what = `${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${nnz} beta=${beta} offset=${off}`;
      const dx = dx0.slice(), g = new Float32Array(nnz).fill(NaN);
      nb.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, beta, dx, g);
      assertClose(dx, wantDx, boundDx, `sparseBackward dx ${what}`);
      assertClose(g, wantG, boundG, `sparseBackward grad ${what}`);
      const dx2 = dx0.slice(), g2 = new Float32Array(nnz).fill(NaN);
      nb.spmmT(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, beta, dx2);
      nb.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, g2);
      assertExact(dx, dx2, `sparseBackward dx vs spmmT ${what}`);
      assertExact(g, g2, `sparseBackward grad vs sddmm ${what}`);
    });
  }
});

test('sparseBackward rejects an index outside its arrays with an error, not a write', () => {
  const rng = new Rng(2007);
  const w = randomCsr(rng, 5, 6, 0.5), csc = cscOf(w), n = 4, nnz = w.colIdx.length;
  const dy = randF32(rng, 5 * n), x = randF32(rng, 6 * n), dx = new Float32Array(6 * n);
  const badPerm = csc.perm.slice(); badPerm[0] = nnz;
  assert.throws(() => nb.sparseBackward(5, 6, csc.colPtr, csc.rowIdx, badPerm, w.values, dy, x, n, 0, dx, new Float32Array(nnz)), /perm/);
  // the gradient array shorter than the values: perm must stay inside both
  assert.throws(() => nb.sparseBackward(5, 6, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx, new Float32Array(nnz - 1)), /perm/);
  const badRow = csc.rowIdx.slice(); badRow[0] = 5;
  assert.throws(() => nb.sparseBackward(5, 6, csc.colPtr, badRow, csc.perm, w.values, dy, x, n, 0, dx, new Float32Array(nnz)), /rowIdx/);
  assert.throws(() => nb.sparseBackward(5, 6, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x.subarray(1), n, 0, dx, new Float32Array(nnz)), /x/);
});
// sddmmWide (the GPT's many columns): the same products in another order; n beyond 64 takes the chunked
// path with partial sums, n ≤ 64 is sddmm itself.
test('sddmmWide matches the reference, every ISA', () => {
  const rng = new Rng(2006);
  for (let t = 0; t < 40; t++) {
    const rows = 1 + rng.int(t % 2 ? 300 : 40), cols = 1 + rng.int(t % 3 ? 300 : 40);
    const n = [1, 16, 17, 64, 65, 130, 200, 257][t % 8]!;
    const w = randomCsr(rng, rows, cols, [0, 0.02, 0.1, 0.3][t % 4]!);
    const x = randF32(rng, cols * n), dy = randF32(rng, rows * n);
    const want = new Float32Array(w.colIdx.length);
    ref.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, want);
    forEachIsa(nb, (isa) => {
      const g = new Float32Array(want.length).fill(NaN);
      nb.sddmmWide(rows, w.rowPtr, w.colIdx, dy, x, n, g);
      // |terms| ≤ 1: at most n terms per output
      assertClose(g, want, new Float64Array(want.length).fill(n), `sddmmWide ${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${w.colIdx.length}`);
    });
  }
});

// sparseBackwardWide (the GPT's backward): spmmT and the weight gradient fused per column chunk, with its own summation
// order beyond the ISA's narrow chunk (4 vectors: n > 64 on AVX-512; the GPT only). It must match the reference within
// the rounding bound for every n (around and beyond the chunk, packed dY chunks when the nonzeros reuse dY's rows, in
// place when not, misaligned and aligned rows, beta 0 and ≠ 0, every ISA) and, bit for bit: spmmT + sddmm where n is
// within the narrow chunk (sparseBackward itself), rowSum for the bias gradient, the GELU backward fused (dx times the
// derivative geluForwardWithGrad stored) as geluBackward on the GELU's input applied to its own dx, and itself on a
// second call.
const narrowChunk = (isa: string): number => 4 * (isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 4);
test('sparseBackwardWide matches the reference; equal bit for bit to spmmT + sddmm within a chunk, to rowSum, to its GELU unfused, and to itself; every ISA', () => {
  const rng = new Rng(2008);
  for (let t = 0; t < 60; t++) {
    const rows = 1 + rng.int(t % 2 ? 300 : 40), cols = 1 + rng.int(t % 3 ? 300 : 40);
    const n = [0, 1, 16, 33, 64, 65, 100, 130, 200, 257, 768][t % 11]!;
    const w = randomCsr(rng, rows, cols, [0, 0.02, 0.1, 0.3, 1][t % 5]!), csc = cscOf(w), nnz = w.colIdx.length;
    const beta = [0, 1, -0.5][t % 3]!, off = t % 4 === 0 ? 0 : rng.int(5);
    const x = randF32(rng, off + cols * n).subarray(off), dy = randF32(rng, off + rows * n).subarray(off);
    const dx0 = randF32(rng, cols * n);
    if (beta === 0) dx0.fill(NaN, 0, Math.min(5, dx0.length));
    const withBias = t % 2 === 1;  // the bias gradient (rowSum of dy) in the same pass, or none (an empty array)
    // dx through a GELU's backward (from its derivative at geluIn, as the forward stores it), or not
    const geluIn = t % 3 === 1 ? randF32(rng, cols * n, -3, 3) : new Float32Array(0);
    const gradOf = (k: { geluForwardWithGrad(x: Float32Array, y: Float32Array, d: Float32Array, len: number): void }): Float32Array => {
      const d = new Float32Array(geluIn.length);
      k.geluForwardWithGrad(geluIn, new Float32Array(geluIn.length), d, geluIn.length);
      return d;
    };
    const wantDx = dx0.slice(), wantG = new Float32Array(nnz).fill(NaN), wantB = new Float32Array(withBias ? rows : 0).fill(NaN);
    ref.sparseBackwardWide(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, beta, wantDx, wantG, wantB, gradOf(ref));
    // |terms| ≤ 1 (and |beta·dx0| ≤ 1): at most rows + 1 terms per dx entry, n per gradient entry. A float32 sum whose
    // terms pass through at most d additions is within d·2⁻²⁴·Σ|terms| of the exact one (the reference sums in float64):
    // the gradient's depth is ≤ 8 + 4 + n/128 on AVX-512 (a chunk's vectors, the lane tree, the chunks), far under
    // REL_TOL = 1e-5 ≈ 168·2⁻²⁴; dx is one chain per column in CSC order (rows + 1 deep), so its tolerance grows with rows
    const boundDx = new Float64Array(wantDx.length).fill(rows + 1), boundG = new Float64Array(nnz).fill(n);
    const tolDx = Math.max(REL_TOL, (rows + 2) * 2 ** -24);
    forEachIsa(nb, (isa) => {
      const what = `${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${nnz} beta=${beta} offset=${off}`;
      const run = (gi: Float32Array): [Float32Array, Float32Array, Float32Array] => {
        const dx = dx0.slice(), g = new Float32Array(nnz).fill(NaN), b = new Float32Array(wantB.length).fill(NaN);
        nb.sparseBackwardWide(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, beta, dx, g, b, gi);
        return [dx, g, b];
      };
      const geluGrad = gradOf(nb);  // this ISA's derivative
      const [dx, g, b] = run(geluGrad);
      // (gelu' is within [−0.2, 1.2]: the bound scaled by 1.2, plus the exp approximation's relative error)
      assertClose(dx, wantDx, geluIn.length ? boundDx.map((v) => 1.2 * v + 1e-3) : boundDx, `sparseBackwardWide dx ${what}`, dx.length, tolDx);
      assertClose(g, wantG, boundG, `sparseBackwardWide grad ${what}`);
      assertClose(b, wantB, new Float64Array(b.length).fill(n), `sparseBackwardWide bias grad ${what}`);
      const [dxA, gA, bA] = run(geluGrad);  // same inputs, same bits
      assertExact(dxA, dx, `sparseBackwardWide dx twice ${what}`);
      assertExact(gA, g, `sparseBackwardWide grad twice ${what}`);
      assertExact(bA, b, `sparseBackwardWide bias grad twice ${what}`);
      const b2 = new Float32Array(rows);
      nb.rowSum(dy, rows, n, b2);
      if (withBias) assertExact(b, b2, `sparseBackwardWide bias grad vs rowSum ${what}`);
      if (geluIn.length) {  // the GELU backward fused is the separate calls on the unfused dx, and geluBackward on its input
        const [dxPlain, gPlain] = run(new Float32Array(0)), dxFromGrad = dxPlain.slice();
        nb.geluBackwardFromGrad(geluGrad, dxFromGrad, dxFromGrad, cols * n);
        assertExact(dx, dxFromGrad, `sparseBackwardWide dx vs itself + geluBackwardFromGrad ${what}`);
        nb.geluBackward(geluIn, dxPlain, dxPlain, cols * n);
        assertExact(dx, dxPlain, `sparseBackwardWide dx vs itself + geluBackward ${what}`);
        assertExact(g, gPlain, `sparseBackwardWide grad with and without GELU ${what}`);
      }
      if (n <= narrowChunk(isa)) {  // within one narrow chunk: sparseBackward, i.e. spmmT + sddmm bit for bit
        const dx2 = dx0.slice(), g2 = new Float32Array(nnz).fill(NaN);
        nb.spmmT(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, beta, dx2);
        nb.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, g2);
        if (geluIn.length) nb.geluBackward(geluIn, dx2, dx2, cols * n);
        assertExact(dx, dx2, `sparseBackwardWide dx vs spmmT${geluIn.length ? ' + geluBackward' : ''} ${what}`);
        assertExact(g, g2, `sparseBackwardWide grad vs sddmm ${what}`);
      }
    });
  }
});

test('sparseBackwardWide rejects an index outside its arrays with an error, not a write', () => {
  const rng = new Rng(2009);
  const w = randomCsr(rng, 5, 6, 0.5), csc = cscOf(w), n = 100, nnz = w.colIdx.length;
  const dy = randF32(rng, 5 * n), x = randF32(rng, 6 * n), dx = new Float32Array(6 * n);
  const badPerm = csc.perm.slice(); badPerm[0] = nnz;
  assert.throws(() => nb.sparseBackwardWide(5, 6, csc.colPtr, csc.rowIdx, badPerm, w.values, dy, x, n, 0, dx, new Float32Array(nnz), new Float32Array(0), new Float32Array(0)), /perm/);
  const badRow = csc.rowIdx.slice(); badRow[0] = 5;
  assert.throws(() => nb.sparseBackwardWide(5, 6, csc.colPtr, badRow, csc.perm, w.values, dy, x, n, 0, dx, new Float32Array(nnz), new Float32Array(0), new Float32Array(0)), /rowIdx/);
  assert.throws(() => nb.sparseBackwardWide(5, 6, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x.subarray(1), n, 0, dx, new Float32Array(nnz), new Float32Array(0), new Float32Array(0)), /x/);
  // a bias gradient shorter than the rows of dy
  assert.throws(() => nb.sparseBackwardWide(5, 6, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx, new Float32Array(nnz), new Float32Array(4), new Float32Array(0)), /biasGrad/);
  assert.throws(() => nb.sparseBackwardWide(5, 6, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx, new Float32Array(nnz), new Float32Array(0), new Float32Array(6 * n - 1)), /geluGrad/);
});

// spmmWide (the GPT's forward): spmm's packed chunks with the bias (and a residual, and GELU) in the epilogue, with
// its own summation order beyond the ISA's narrow chunk (the GPT only). It must match the reference within the rounding
// bound for every n (around and beyond the chunk, packed or not, every ISA) and, bit for bit: spmm (beta 0) then
// biasActivation and the add where n is within the narrow chunk or there is no bias (spmm itself), its GELU and the
// derivative it leaves in y as geluForwardWithGrad on its y without GELU, and itself on a second call.
test('spmmWide matches the reference; equal bit for bit to spmm + biasActivation within a chunk, to geluForwardWithGrad on its y, and to itself; every ISA', () => {
  const rng = new Rng(2010);
  for (let t = 0; t < 60; t++) {
    const rows = 1 + rng.int(t % 2 ? 300 : 40), cols = 1 + rng.int(t % 3 ? 300 : 40);
    const n = [1, 16, 33, 64, 65, 100, 130, 200, 257, 768][t % 10]!;
    const w = randomCsr(rng, rows, cols, [0, 0.02, 0.1, 0.3, 1][t % 5]!);
    const off = t % 4 === 0 ? 0 : rng.int(5);
    const x = randF32(rng, off + cols * n).subarray(off);
    const bias = t % 7 === 3 ? new Float32Array(0) : randF32(rng, rows);
    const gelu = t % 3 === 1;  // GELU(y) too
    const res = t % 4 >= 2 ? randF32(rng, rows * n) : new Float32Array(0);  // a residual added, or none
    const want = new Float32Array(rows * n).fill(NaN), wantG = new Float32Array(gelu ? rows * n : 0).fill(NaN);
    ref.spmmWide(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, bias, res, want, wantG);
    forEachIsa(nb, (isa) => {
      const what = `${isa} case ${t} rows=${rows} cols=${cols} n=${n} nnz=${w.colIdx.length} bias=${bias.length} offset=${off}`;
      const run = (withGelu = gelu): [Float32Array, Float32Array] => {
        const y = new Float32Array(rows * n).fill(NaN), g = new Float32Array(withGelu ? rows * n : 0).fill(NaN);
        nb.spmmWide(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, bias, res, y, g);
        return [y, g];
      };
      const [y, g] = run();
      // cols + 2 terms (|terms| ≤ 1), one chain per row and vector: within (cols + 2)·2⁻²⁴·Σ|terms| (see sparseBackwardWide)
      const tol = Math.max(REL_TOL, (cols + 2) * 2 ** -24);
      // (with GELU y is gelu'(y): |gelu''| ≤ 0.8, so the bound scaled by 1.2 as for GELU itself, plus the approximation's error)
      assertClose(y, want, new Float64Array(y.length).fill(gelu ? 1.2 * (cols + 2) + 1e-3 : cols + 2), `spmmWide ${what} res=${res.length}`, y.length, tol);
      assertClose(g, wantG, new Float64Array(g.length).fill(1.2 * (cols + 2) + 1e-3), `spmmWide gelu ${what} res=${res.length}`, g.length, tol);
      const [yA, gA] = run();  // same inputs, same bits
      assertExact(yA, y, `spmmWide twice ${what}`);
      assertExact(gA, g, `spmmWide gelu twice ${what}`);
      const [z] = gelu ? run(false) : [y];  // y before GELU
      if (gelu) {
        const g2 = new Float32Array(g.length), d2 = new Float32Array(g.length), g3 = new Float32Array(g.length);
        nb.geluForwardWithGrad(z, g2, d2, rows * n);
        assertExact(g, g2, `spmmWide gelu vs geluForwardWithGrad on its y ${what}`);
        assertExact(y, d2, `spmmWide gelu' vs geluForwardWithGrad on its y ${what}`);
        nb.geluForward(z, g3, rows * n);
        assertExact(g, g3, `spmmWide gelu vs geluForward on its y ${what}`);
      }
      if (n <= narrowChunk(isa) || bias.length === 0) {
        const y2 = new Float32Array(rows * n).fill(NaN);
        nb.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, 0, y2);
        if (bias.length) nb.biasActivation(y2, bias, rows, n, false);
        if (res.length) nb.sgdStep(y2, res, rows * n, -1, 0);  // the GPT's residual add
        assertExact(z, y2, `spmmWide vs spmm + biasActivation + add ${what} res=${res.length}`);
      }
    });
  }
  const w = randomCsr(rng, 5, 6, 0.5), x = randF32(rng, 6 * 100), y = new Float32Array(5 * 100);
  assert.throws(() => nb.spmmWide(5, 6, w.rowPtr, w.colIdx, w.values, x, 100, new Float32Array(4), new Float32Array(0), y, new Float32Array(0)), /bias/);
  assert.throws(() => nb.spmmWide(5, 6, w.rowPtr, w.colIdx, w.values, x, 100, new Float32Array(5), new Float32Array(499), y, new Float32Array(0)), /res/);
  assert.throws(() => nb.spmmWide(5, 6, w.rowPtr, w.colIdx, w.values, x, 100, new Float32Array(5), new Float32Array(0), y, new Float32Array(499)), /gelu/);
  assert.throws(() => nb.spmmWide(5, 6, w.rowPtr, w.colIdx, w.values, x.subarray(1), 100, new Float32Array(5), new Float32Array(0), y, new Float32Array(0)), /x/);
});

test('gatherPeak (bench/kernels\' floor probe) does one source chunk of FMAs per nonzero, every ISA; bad arguments throw', () => {
  const lanes: Record<string, number> = { avx512: 64, avx2: 32, generic: 16 };  // one chunk: 4 vectors
  forEachIsa(nb, (isa) => {
    for (const rows of [1, 128, 784]) assert.equal(nb.gatherPeak(rows, 3), 3 * 4096 * 2 * lanes[isa]!, `${isa} rows=${rows}`);
    assert.equal(nb.gatherPeak(5, 0), 0);
  });
  assert.throws(() => nb.gatherPeak(0, 1), /srcRows must be >= 1, got 0/);
  assert.throws(() => nb.gatherPeak(1 << 21, 1), /srcRows must be <= 1048576/);
});

// A source laid out with its rows ldx > n apart (a network's input padded to whole vectors and 64-byte aligned, which
// the kernels read in place instead of copying): the same results, bit for bit, as the packed [rows × n] source, on the
// native backend (aligned or not, copy taken or not) and on the reference.
test('spmm, sddmm and sparseBackward with a row stride ldx (and dY at ldy) equal the packed source bit for bit, every ISA', () => {
  const rng = new Rng(2007);
  for (let t = 0; t < 120; t++) {
    const rows = 1 + rng.int(60), cols = 1 + rng.int(90);
    const n = [1, 7, 16, 33, 60, 64, 65, 130][t % 8]!;
    const ldx = [Math.ceil(n / 16) * 16, n + 1 + rng.int(20), n][t % 3]!;
    const w = randomCsr(rng, rows, cols, [0.02, 0.1, 0.5, 1][t % 4]!), csc = cscOf(w), nnz = w.colIdx.length;
    const x = randF32(rng, cols * n), dy = randF32(rng, rows * n);
    const aligned = t % 2 === 0;
    const xs = aligned ? nb.allocActivations!(cols * ldx) : new Float32Array(cols * ldx);
    xs.fill(NaN);  // padding lanes must never be read into a result
    for (let c = 0; c < cols; c++) xs.set(x.subarray(c * n, c * n + n), c * ldx);
    // dY at the same stride (as reluBackwardTo lays out a sparse ReLU layer's output gradient), NaN in its padding too
    const dys = aligned ? nb.allocActivations!(rows * ldx) : new Float32Array(rows * ldx);
    dys.fill(NaN);
    for (let r = 0; r < rows; r++) dys.set(dy.subarray(r * n, r * n + n), r * ldx);
    const what = (isa: string) => `${isa} case ${t} rows=${rows} cols=${cols} n=${n} ldx=${ldx} nnz=${nnz} aligned=${aligned}`;
    for (const be of [ref]) {
      const y0 = new Float32Array(rows * n), y1 = new Float32Array(rows * n), g0 = new Float32Array(nnz), g1 = new Float32Array(nnz);
      be.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, 0, y0);
      be.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, xs, n, 0, y1, ldx);
      be.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, g0);
      be.sddmm(rows, w.rowPtr, w.colIdx, dy, xs, n, g1, ldx);
      assertExact(y1, y0, `reference spmm ${what('')}`);
      assertExact(g1, g0, `reference sddmm ${what('')}`);
      const dx0 = new Float32Array(cols * n), dx1 = new Float32Array(cols * n), b0 = new Float32Array(nnz), b1 = new Float32Array(nnz);
      be.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx0, b0);
      be.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dys, xs, n, 0, dx1, b1, ldx, ldx);
      assertExact(dx1, dx0, `reference sparseBackward dx ${what('')}`);
      assertExact(b1, b0, `reference sparseBackward grad ${what('')}`);
    }
    forEachIsa(nb, (isa) => {
      const y0 = new Float32Array(rows * n), y1 = new Float32Array(rows * n), g0 = new Float32Array(nnz), g1 = new Float32Array(nnz);
      nb.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, 0, y0);
      nb.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, xs, n, 0, y1, ldx);
      assertExact(y1, y0, `spmm ${what(isa)}`);
      nb.sddmm(rows, w.rowPtr, w.colIdx, dy, x, n, g0);
      nb.sddmm(rows, w.rowPtr, w.colIdx, dy, xs, n, g1, ldx);
      assertExact(g1, g0, `sddmm ${what(isa)}`);
      const dx0 = new Float32Array(cols * n), dx1 = new Float32Array(cols * n), b0 = new Float32Array(nnz), b1 = new Float32Array(nnz);
      nb.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, x, n, 0, dx0, b0);
      nb.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, xs, n, 0, dx1, b1, ldx);
      assertExact(dx1, dx0, `sparseBackward dx ${what(isa)}`);
      assertExact(b1, b0, `sparseBackward grad ${what(isa)}`);
      dx1.fill(NaN); b1.fill(NaN);
      nb.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, w.values, dys, xs, n, 0, dx1, b1, ldx, ldx);
      assertExact(dx1, dx0, `sparseBackward (dy at stride ldy) dx ${what(isa)}`);
      assertExact(b1, b0, `sparseBackward (dy at stride ldy) grad ${what(isa)}`);
    });
  }
});

test('a row stride below n, or a strided source too short for its rows, is a clear error', () => {
  const w = randomCsr(new Rng(3), 2, 3, 1), csc = cscOf(w), y = new Float32Array(2 * 4), g = new Float32Array(6);
  assert.throws(() => nb.spmm(2, 3, w.rowPtr, w.colIdx, w.values, new Float32Array(12), 4, 0, y, 3), /spmm: ldx must be at least n = 4, got 3/);
  // 3 rows of 4 at stride 16 span 2·16 + 4 = 36 floats
  assert.throws(() => nb.spmm(2, 3, w.rowPtr, w.colIdx, w.values, new Float32Array(35), 4, 0, y, 16), /x has 35 elements, needs at least 36/);
  nb.spmm(2, 3, w.rowPtr, w.colIdx, w.values, new Float32Array(36), 4, 0, y, 16);
  assert.throws(() => nb.sddmm(2, w.rowPtr, w.colIdx, new Float32Array(8), new Float32Array(35), 4, g, 16), /colIdx\[\d\] = 2 is outside \[0, 2\)/);
  assert.throws(() => nb.sparseBackward(2, 3, csc.colPtr, csc.rowIdx, csc.perm, w.values, new Float32Array(8), new Float32Array(35), 4, 0, new Float32Array(12), g, 16),
    /x has 35 elements, needs at least 36/);
  assert.throws(() => nb.sparseBackward(2, 3, csc.colPtr, csc.rowIdx, csc.perm, w.values, new Float32Array(19), new Float32Array(12), 4, 0, new Float32Array(12), g, 4, 16),
    /dy has 19 elements, needs at least 20/);
  assert.throws(() => nb.sparseBackward(2, 3, csc.colPtr, csc.rowIdx, csc.perm, w.values, new Float32Array(8), new Float32Array(12), 4, 0, new Float32Array(12), g, 4, 2),
    /sparseBackward: ldy must be at least n = 4, got 2/);
  assert.throws(() => nb.gatherColumns(new Float32Array(6), 3, Int32Array.from([1]), 2, new Float32Array(12), 1), /gatherColumns: ld must be at least batch = 2, got 1/);
});
