// Sparse encodings: predicted bytes equal serialized bytes for every encoding × several formats over
// random shapes and densities; decoding is exact for element-wise formats; gap fillers, index widths,
// 2:4 metadata and bits-per-nonzero follow FORMATS.md §12–§13; malformed payloads are UserErrors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENCODING_NAMES, type EncodingName, chooseSmallest, decodeMatrix, decodeTensor, decodeTensorCsr, encodeMatrix, encodeTensor,
  encodingReport, inapplicable, indexWidth, maskStats, predictBytes, prune24, validateMatrix,
} from '../../src/sparse/encodings.js';
import { FORMATS, type FormatName, roundTrip } from '../../src/quant/formats.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function sparseMatrix(rng: Rng, rows: number, cols: number, density: number): Float32Array {
  const v = new Float32Array(rows * cols);
  for (let i = 0; i < v.length; i++) if (rng.next() < density) v[i] = rng.normal() || 1;
  return v;
}

const FORMATS_UNDER_TEST: FormatName[] = ['fp32', 'bf16', 'fp16', 'fp8-e4m3', 'mxfp4', 'mxfp6-e3m2', 'nvfp4', 'int8-channel', 'int4-group-asym', 'ternary', 'binary'];
const DENSITIES = [0, 0.005, 0.05, 0.2, 0.5, 0.8, 1];

test('predicted bytes equal serialized bytes: every encoding × 11 formats × random shapes and densities', () => {
  const rng = new Rng(42);
  let checked = 0;
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + rng.int(24);
    const cols = trial % 3 === 0 ? 4 * (1 + rng.int(40)) : 1 + rng.int(300);
    const density = DENSITIES[trial % DENSITIES.length]!;
    let v = sparseMatrix(rng, rows, cols, density);
    if (cols % 4 === 0 && trial % 2 === 0) v = prune24(v, [rows, cols]);
    const s = maskStats(v, [rows, cols]);
    for (const format of FORMATS_UNDER_TEST) {
      for (const enc of ENCODING_NAMES) {
        if (inapplicable(enc, s, FORMATS[format])) { assert.throws(() => encodeMatrix(v, [rows, cols], format, enc, s), UserError); continue; }
        const m = encodeMatrix(v, [rows, cols], format, enc, s);
        const predicted = predictBytes(enc, s, format);
        assert.equal(m.payload.length, predicted, `${enc}/${format} [${rows}, ${cols}] d=${density}`);
        assert.equal(encodingReport(enc, s, format).bytes, predicted);
        validateMatrix(m, 'test');
        const d = decodeMatrix(m);
        // Zeros stay zero (the mask is kept) except binary+dense, which has no zero code.
        if (!(format === 'binary' && enc === 'dense')) for (let i = 0; i < v.length; i++) if (v[i] === 0) assert.equal(d[i], 0);
        // Element-wise formats decode identically whatever the encoding.
        if (format === 'fp32') assert.deepEqual(d, v);
        if (format === 'bf16' || format === 'fp16') assert.deepEqual(d, roundTrip(format, v, [rows, cols]));
        checked++;
      }
    }
  }
  assert.ok(checked > 2000, `${checked} combinations`);
});

test('csr and bitmask store the same value list, so block formats decode identically', () => {
  const rng = new Rng(8);
  for (const format of ['mxfp4', 'nvfp4', 'int4-channel', 'binary', 'ternary'] as const) {
    const v = sparseMatrix(rng, 13, 77, 0.3);
    const a = decodeMatrix(encodeMatrix(v, [13, 77], format, 'csr'));
    const b = decodeMatrix(encodeMatrix(v, [13, 77], format, 'bitmask'));
    assert.deepEqual(a, b, format);
  }
});

test('gap encoding: filler entries as in Deep Compression (brute-force count)', () => {
  // positions 0 and 20 with 4-bit gaps: gap 19 > 15 → one filler at 16 (gap 15), then gap 3
  const v = new Float32Array(40); v[0] = 1; v[20] = 2;
  const s = maskStats(v, [1, 40]);
  assert.equal(s.gapEntries4, 3); assert.equal(s.gapEntries8, 2);
  const m = encodeMatrix(v, [1, 40], 'fp32', 'gap4');
  assert.deepEqual(Array.from(m.payload.subarray(0, 2)), [0 | (15 << 4), 3]);
  assert.equal(m.payload.length, 2 + 12);
  assert.deepEqual(decodeMatrix(m), v);
  const rng = new Rng(77);
  for (let t = 0; t < 50; t++) {
    const n = 1 + rng.int(3000);
    const w = sparseMatrix(rng, 1, n, [0.001, 0.01, 0.1, 0.5][t % 4]!);
    for (const b of [4, 8]) {
      let entries = 0, prev = -1;
      for (let i = 0; i < n; i++) if (w[i] !== 0) { let g = i - prev - 1; while (g > 2 ** b - 1) { entries++; g -= 2 ** b; } entries++; prev = i; }
      const st = maskStats(w, [1, n]);
      assert.equal(b === 4 ? st.gapEntries4 : st.gapEntries8, entries);
    }
  }
});

test('CSR uses the narrowest index widths', () => {
  assert.deepEqual([255, 256, 65535, 65536].map(indexWidth), [1, 2, 2, 4]);
  const rng = new Rng(2);
  for (const [rows, cols, d] of [[4, 256, 0.2], [4, 257, 0.2], [2, 100, 1], [3, 70000, 0.001]] as const) {
    const v = sparseMatrix(rng, rows, cols, d);
    const s = maskStats(v, [rows, cols]);
    const want = (rows + 1) * indexWidth(s.nnz) + s.nnz * (cols <= 256 ? 1 : cols <= 65536 ? 2 : 4) + 4 * s.nnz;
    assert.equal(encodeMatrix(v, [rows, cols], 'fp32', 'csr').payload.length, want);
  }
});

test('2:4: prune24 keeps the two largest magnitudes; 2 bits of metadata per nonzero; padding slots', () => {
  const v = new Float32Array([1, -5, 3, 2, /**/ 0, 0, 0, 0, /**/ 0, 0, 7, 0, /**/ 2, 2, 2, 2]);
  const p = prune24(v, [2, 8]);
  assert.deepEqual(Array.from(p), [0, -5, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 2, 0, 0]);
  const m = encodeMatrix(p, [2, 8], 'fp16', '2:4');
  assert.deepEqual(Array.from(m.payload.subarray(0, 2)), [(1 | (2 << 2)) | ((0 | (1 << 2)) << 4), (0 | (2 << 2)) | ((0 | (1 << 2)) << 4)]);
  assert.deepEqual(decodeMatrix(m), p);
  assert.throws(() => encodeMatrix(v, [2, 8], 'fp16', '2:4'), /not 2:4/);
  assert.throws(() => prune24(new Float32Array(6), [1, 6]), UserError);
  const rng = new Rng(4);
  const w = prune24(sparseMatrix(rng, 64, 64, 1), [64, 64]);
  const r = encodingReport('2:4', maskStats(w, [64, 64]), 'fp16');
  assert.equal(r.bitsPerNonzero, 18); // v + 2 at d = 0.5 (§12)
  assert.equal(r.bitsPerWeight, 9);
  assert.equal(encodingReport('bitmask', maskStats(w, [64, 64]), 'fp16').bitsPerNonzero, 18); // v + 1/d
});

test('chooseSmallest picks the encoding whose actual payload is smallest', () => {
  const rng = new Rng(6);
  const seen = new Set<EncodingName>();
  for (let t = 0; t < 40; t++) {
    const rows = 1 + rng.int(30), cols = 4 * (1 + rng.int(60));
    const density = [0.002, 0.03, 0.15, 0.4, 0.9][t % 5]!;
    let v = sparseMatrix(rng, rows, cols, density);
    if (t % 7 === 0) v = prune24(v, [rows, cols]);
    for (const format of ['bf16', 'fp8-e4m3', 'mxfp4', 'binary'] as const) {
      const s = maskStats(v, [rows, cols]);
      const c = chooseSmallest(s, format);
      let best = Infinity;
      for (const e of ENCODING_NAMES) if (!inapplicable(e, s, FORMATS[format])) best = Math.min(best, encodeMatrix(v, [rows, cols], format, e, s).payload.length);
      assert.equal(c.bytes, best);
      assert.equal(encodeMatrix(v, [rows, cols], format, c.encoding, s).payload.length, best);
      seen.add(c.encoding);
    }
  }
  assert.ok(seen.size >= 3, `choices seen: ${[...seen].join(', ')}`);
});

test('bits per nonzero and per weight agree with the §12 cost model (no scales, fp16 values)', () => {
  const rng = new Rng(10);
  const v = sparseMatrix(rng, 100, 200, 0.1);
  const s = maskStats(v, [100, 200]);
  const csr = encodingReport('csr', s, 'fp16');
  assert.equal(csr.bitsPerNonzero, (8 * (101 * 2 + s.nnz * 1 + s.nnz * 2)) / s.nnz);
  const g8 = encodingReport('gap8', s, 'fp16');
  assert.equal(g8.bytes, 3 * s.gapEntries8);
  assert.equal(g8.fillers, s.gapEntries8 - s.nnz);
  assert.equal(encodingReport('dense', s, 'fp16').bitsPerWeight, 16);
});

test('N-d tensors: encodeTensor/decodeTensor/decodeTensorCsr with auto encoding', () => {
  const rng = new Rng(12);
  const v = sparseMatrix(rng, 6, 3 * 5 * 5, 0.1);
  const t = encodeTensor('conv.w', v, [6, 3, 5, 5], 'fp32', 'auto');
  assert.deepEqual(decodeTensor(t), v);
  const csr = decodeTensorCsr(t);
  assert.equal(csr.rows, 6); assert.equal(csr.cols, 75);
  let k = 0;
  for (let r = 0; r < 6; r++) for (let c = 0; c < 75; c++) if (v[r * 75 + c] !== 0) { assert.equal(csr.colIdx[k], c); assert.equal(csr.values[k], v[r * 75 + c]); k++; }
  assert.equal(k, csr.values.length);
  const bias = encodeTensor('b', new Float32Array([1, 2, 3]), [3], 'bf16', 'dense');
  assert.deepEqual(Array.from(decodeTensor(bias)), [1, 2, 3]);
  assert.throws(() => encodeTensor('x', new Float32Array(5), [2, 3], 'fp32'), UserError);
});

test('malformed payloads are UserErrors', () => {
  const rng = new Rng(13);
  const v = sparseMatrix(rng, 5, 20, 0.3);
  const csr = encodeMatrix(v, [5, 20], 'fp32', 'csr');
  const bad1 = { layout: csr.layout, payload: csr.payload.slice() };
  bad1.payload[6 + 0] = 25; // first column index ≥ cols
  assert.throws(() => validateMatrix(bad1, 'w'), /colIdx.*out of range/);
  const bad2 = { layout: csr.layout, payload: csr.payload.slice() };
  bad2.payload[2] = 255; // rowPtr decreases / exceeds
  assert.throws(() => decodeMatrix(bad2, 'w'), UserError);
  const bm = encodeMatrix(v, [5, 20], 'fp32', 'bitmask');
  const bad3 = { layout: bm.layout, payload: bm.payload.slice() };
  bad3.payload[2] |= 0x80; // bit beyond column 20
  assert.throws(() => validateMatrix(bad3, 'w'), /beyond column/);
  const short = { layout: bm.layout, payload: bm.payload.subarray(1) };
  assert.throws(() => decodeMatrix(short, 'w'), /payload is/);
  const p24 = encodeMatrix(prune24(sparseMatrix(rng, 2, 8, 1), [2, 8]), [2, 8], 'fp32', '2:4');
  const bad4 = { layout: p24.layout, payload: p24.payload.slice() };
  bad4.payload[0] = 0x0f; // i0 = 3, i1 = 0
  assert.throws(() => validateMatrix(bad4, 'w'), /i0 < i1/);
  const g = encodeMatrix(v, [5, 20], 'fp32', 'gap8');
  const bad5 = { layout: g.layout, payload: g.payload.slice() };
  bad5.payload[0] = 200;
  assert.throws(() => validateMatrix(bad5, 'w'), /beyond/);
});
