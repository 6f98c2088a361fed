// The fused GPT decoder's matrix formats (native/decoder.cc: dense, padded CSR, 2:4, bitmap, sliced ELL)
// against float64 sums and against their plain twins (src/backend/decoder-reference.ts) on random and
// awkward shapes: widths off the 16- and 32-column blocks, empty rows, all-zero blocks and windows,
// densities 0, 10%, 50%, 100%, 2:4 groups with 0, 1 or 2 nonzeros, row counts off the 4- and 16-row
// groups; every ISA level. Then the layouts themselves on a hand-made case, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODER_FORMATS, type DecoderFormat } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { bitmapMatvecReference, toBitmap, toPaddedCsr, toSell, sellMatvecReference } from '../../src/backend/decoder-reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, assertClose, matvecFloat64, randomSparseMatrix, Rng } from './helpers.js';

const nb = nativeBackend();

/** A [rows × cols] matrix at the density (nm: at most 2 per group of 4), with some empty rows and zero 16-column blocks. */
function randomMatrix(rng: Rng, rows: number, cols: number, density: number, nm: boolean): Float32Array {
  const w = randomSparseMatrix(rng, rows, cols, density, nm);
  if (rows > 2) w.fill(0, cols, 2 * cols);                         // row 1 empty
  if (cols > 40) for (let r = 0; r < rows; r++) w.fill(0, r * cols + 16, r * cols + 40); // a zero block and window stretch
  return w;
}

for (const format of DECODER_FORMATS) {
  test(`decoder ${format} mat-vec matches float64 sums and the plain twin on 120 shapes, every ISA`, () => {
    const rng = new Rng(5100 + format.length);
    for (let t = 0; t < 120; t++) {
      const rows = Math.max(1, t % 11 === 0 ? 33 + rng.int(40) : pickSize(rng, 40));
      const cols = format === '2:4' ? 4 * Math.max(1, pickSize(rng, 40)) : Math.max(1, t % 7 === 0 ? 100 + rng.int(300) : pickSize(rng, 70));
      const w = randomMatrix(rng, rows, cols, [0, 0.1, 0.5, 1][t % 4]!, format === '2:4');
      const bias = t % 3 === 0 ? null : randF32(rng, rows), x = randF32(rng, cols);
      const { want, bound } = matvecFloat64(w, rows, cols, bias, x);
      const refOut = new Float32Array(rows);
      ref.prepareMatvec(format, rows, cols, w, bias).forward(x, refOut);
      assertClose(refOut, want, bound, `reference ${format} case ${t} ${rows}×${cols}`);
      forEachIsa(nb, (isa) => {
        const got = new Float32Array(rows).fill(NaN);
        nb.prepareMatvec(format, rows, cols, w, bias).forward(x, got);
        assertClose(got, want, bound, `${format} ${isa} case ${t} ${rows}×${cols}`);
        assertClose(got, refOut, bound, `${format} ${isa} against its twin, case ${t}`);
      });
    }
  });
}

test('decoder layouts: padded CSR, bitmap and sliced ELL on a hand-made matrix', () => {
  // 2 × 35: row 0 holds columns 0, 17, 34; row 1 only column 33
  const w = new Float32Array(70);
  w[0] = 1; w[17] = 2; w[34] = 3; w[35 + 33] = 4;
  const csr = toPaddedCsr(w, 2, 35);
  assert.deepEqual(Array.from(csr.rowPtr), [0, 4, 8]);
  assert.deepEqual(Array.from(csr.idx), [0, 17, 34, 35, 33, 35, 35, 35]); // padding points at column 35 (= cols)
  const bm = toBitmap(w, 2, 35);
  assert.deepEqual(Array.from(bm.masks), [1, 2, 4, 0, 0, 2]);             // 3 blocks per row
  assert.deepEqual(Array.from(bm.rowPtr), [0, 3, 4]);
  const sell = toSell(w, 2, 35);                                          // one slice, windows 0 (cols 0..31) and 1
  assert.deepEqual(Array.from(sell.slicePtr), [0, 4]);
  assert.deepEqual(Array.from(sell.windows), [0, 0, 1, 1]);               // window 0: 2 layers (row 0 has 2), window 1: 1 + a zero layer (runs are even)
  assert.deepEqual(Array.from(sell.values.subarray(48)), new Array(16).fill(0));
  assert.deepEqual([sell.values[0], sell.offsets[0], sell.values[16], sell.offsets[16], sell.values[32], sell.offsets[32], sell.values[33], sell.offsets[33]], [1, 0, 2, 17, 3, 2, 4, 1]);
  const x = Float32Array.from({ length: 35 }, (_, i) => i + 1), y = new Float32Array(2), y2 = new Float32Array(2);
  bitmapMatvecReference(2, 35, bm.masks, bm.rowPtr, bm.values, x, y);
  sellMatvecReference(2, 35, sell.slicePtr, sell.windows, sell.offsets, sell.values, x, y2);
  assert.deepEqual(Array.from(y), [1 + 2 * 18 + 3 * 35, 4 * 34]);
  assert.deepEqual(Array.from(y2), Array.from(y));
});

test('decoder matrices refuse what their format cannot hold', () => {
  const three = new Float32Array([1, 1, 1, 0]);
  for (const be of [nb, ref]) {
    assert.throws(() => be.prepareMatvec('2:4', 1, 4, three, null), /2:4/);
    assert.throws(() => be.prepareMatvec('2:4', 1, 6, new Float32Array(6), null), /multiple of 4|2:4/);
    assert.throws(() => be.prepareMatvec('csr', 1, 70_000, new Float32Array(70_000), null), /65536/);
    assert.throws(() => be.prepareMatvec('dense', 2, 4, new Float32Array(7), null), /needs|8/);
    assert.throws(() => be.prepareMatvec('nope' as DecoderFormat, 1, 4, new Float32Array(4), null), /format/);
  }
});
