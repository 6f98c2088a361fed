// Batch-1 prepared layers in every mat-vec format (dense, CSR scalar, CSR with gathers — 16-bit and
// 32-bit column indices —, 2:4) against
// float64 sums and against the reference backend's twins, on random and awkward shapes (empty rows,
// widths around the SIMD lanes, 2:4 groups with 0, 1 or 2 nonzeros), every ISA level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceLayer, MatvecFormat } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nm24MatvecReference, toNm24 } from '../../src/backend/nm24-reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, assertClose, matvecFloat64, randomSparseMatrix, Rng } from './helpers.js';

const nb = nativeBackend();

function layerOf(w: Float32Array, rows: number, cols: number, bias: Float32Array, format: MatvecFormat): InferenceLayer {
  if (format === 'dense') return { rows, cols, relu: false, values: w, bias, format };
  if (format === '2:4') { const e = toNm24(w, rows, cols)!; return { rows, cols, relu: false, values: e.values, offsets: e.offsets, bias, format }; }
  const rowPtr = new Int32Array(rows + 1), idx: number[] = [], vals: number[] = [];
  for (let r = 0; r < rows; r++) { for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) { idx.push(c); vals.push(w[r * cols + c]!); } rowPtr[r + 1] = idx.length; }
  return { rows, cols, relu: false, values: Float32Array.from(vals), rowPtr, colIdx: Int32Array.from(idx), bias, format };
}

for (const format of ['dense', 'csr', 'csr-gather', '2:4'] as const) {
  test(`batch-1 ${format} layers match float64 sums and the reference backend on 150 shapes, every ISA`, () => {
    const rng = new Rng(4100 + format.length);
    for (let t = 0; t < 150; t++) {
      const rows = Math.max(1, pickSize(rng, 70));
      // 2:4 needs whole groups; the others also take long rows (beyond a 32-column chunk and the gather unroll)
      const cols = format === '2:4' ? 4 * Math.max(1, pickSize(rng, 50)) : Math.max(1, t % 9 === 0 ? 100 + rng.int(500) : pickSize(rng, 70));
      const w = randomSparseMatrix(rng, rows, cols, [0, 0.05, 0.3, 0.7, 1][t % 5]!, format === '2:4');
      const bias = randF32(rng, rows), x = randF32(rng, cols);
      const { want, bound } = matvecFloat64(w, rows, cols, bias, x);
      const layer = layerOf(w, rows, cols, bias, format);
      const refOut = new Float32Array(rows);
      ref.prepareInference([layer]).forward(x, 1, refOut);
      assertClose(refOut, want, bound, `reference ${format} case ${t} ${rows}×${cols}`);
      forEachIsa(nb, (isa) => {
        const got = new Float32Array(rows).fill(NaN);
        nb.prepareInference([layer]).forward(x, 1, got);
        assertClose(got, want, bound, `${format} ${isa} case ${t} ${rows}×${cols}`);
      });
    }
  });
}

test('CSR layers wider than 65536 columns (32-bit column indices) match float64 sums, every ISA', () => {
  const rng = new Rng(4200);
  const rows = 3, cols = 70_001;
  const w = randomSparseMatrix(rng, rows, cols, 0.01, false);
  w[cols - 1] = 0.5; // the last column is used
  const bias = randF32(rng, rows), x = randF32(rng, cols);
  const { want, bound } = matvecFloat64(w, rows, cols, bias, x);
  for (const format of ['csr', 'csr-gather'] as const) {
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(rows);
      nb.prepareInference([layerOf(w, rows, cols, bias, format)]).forward(x, 1, got);
      assertClose(got, want, bound, `${format} ${isa} ${rows}×${cols}`);
    });
  }
});

test('2:4 layout: groups padded with zeros at increasing offsets; more than 2 per group or a ragged width is refused', () => {
  const w = new Float32Array([0, 0, 0, 0, /**/ 0, 0, 5, 0, /**/ 1, 0, 0, 2]);
  const e = toNm24(w, 1, 12)!;
  assert.deepEqual(Array.from(e.values), [0, 0, 0, 5, 1, 2]);
  assert.deepEqual(Array.from(e.offsets), [0, 1, 0, 2, 0, 3]);
  const y = new Float32Array(1);
  nm24MatvecReference(1, 12, e.values, e.offsets, Float32Array.from({ length: 12 }, (_, i) => i + 1), y);
  assert.equal(y[0], 5 * 7 + 1 * 9 + 2 * 12);
  assert.equal(toNm24(new Float32Array([1, 1, 1, 0]), 1, 4), null);
  assert.equal(toNm24(new Float32Array(6), 1, 6), null);
});

test('prepared 2:4 layers refuse bad offsets, ragged widths and batches above 1', () => {
  const bias = new Float32Array(1), values = new Float32Array(2);
  assert.throws(() => nb.prepareInference([{ rows: 1, cols: 4, relu: false, values, offsets: Uint8Array.from([0, 4]), bias, format: '2:4' }]), /offsets\[1\] = 4/);
  assert.throws(() => nb.prepareInference([{ rows: 1, cols: 6, relu: false, values: new Float32Array(3), offsets: new Uint8Array(3), bias, format: '2:4' }]), /multiple of 4/);
  const net = nb.prepareInference([{ rows: 1, cols: 4, relu: false, values, offsets: Uint8Array.from([0, 1]), bias, format: '2:4' }]);
  assert.throws(() => net.forward(new Float32Array(8), 2, new Float32Array(2)), /batch 1 only/);
});
