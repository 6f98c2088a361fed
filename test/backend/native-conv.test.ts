// Native data-movement kernels vs the reference, bit-exact: im2col, col2im, max pooling, gatherColumns, the GPT
// embedding gather and scatter-add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { outSize } from '../../src/backend/backend.js';
import { nativeBackend, forEachIsa, randF32, assertExact, Rng } from './helpers.js';

const nb = nativeBackend();
const CASES = 220;

function convCase(rng: Rng) {
  const c = rng.int(4), h = rng.int(10), w = rng.int(10), batch = [0, 1, 3, 16, 17, 60][rng.int(6)]!;
  const kh = 1 + rng.int(5), kw = 1 + rng.int(5), stride = 1 + rng.int(3), pad = rng.int(3);
  const oh = outSize(h, kh, stride, pad), ow = outSize(w, kw, stride, pad);
  const colLen = oh > 0 && ow > 0 ? c * kh * kw * oh * ow * batch : 0;
  return { c, h, w, batch, kh, kw, stride, pad, colLen };
}

test('im2col and col2im are bit-exact (padding, strides, empty outputs)', () => {
  const rng = new Rng(4001);
  for (let t = 0; t < CASES; t++) {
    const s = convCase(rng);
    const xLen = s.c * s.h * s.w * s.batch;
    const x = randF32(rng, xLen);                        // x [C×H×W×B]
    const want = new Float32Array(s.colLen).fill(NaN);   // col [(C·kh·kw) × (OH·OW·B)]
    ref.im2col(x, s.c, s.h, s.w, s.batch, s.kh, s.kw, s.stride, s.pad, want);
    const col = randF32(rng, s.colLen);
    const wantDx = new Float32Array(xLen).fill(NaN);     // dx [C×H×W×B]
    ref.col2im(col, s.c, s.h, s.w, s.batch, s.kh, s.kw, s.stride, s.pad, wantDx);
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(s.colLen).fill(NaN);
      nb.im2col(x, s.c, s.h, s.w, s.batch, s.kh, s.kw, s.stride, s.pad, got);
      assertExact(got, want, `im2col ${isa} ${JSON.stringify(s)}`);
      const gotDx = new Float32Array(xLen).fill(NaN);
      nb.col2im(col, s.c, s.h, s.w, s.batch, s.kh, s.kw, s.stride, s.pad, gotDx);
      assertExact(gotDx, wantDx, `col2im ${isa} ${JSON.stringify(s)}`);
    });
  }
});

test('maxPoolForward (values and first-max argmax) and maxPoolBackward are bit-exact', () => {
  const rng = new Rng(4002);
  for (let t = 0; t < CASES; t++) {
    const c = rng.int(4), h = rng.int(12), w = rng.int(12), batch = [0, 1, 5, 16, 33, 60][rng.int(6)]!;
    const k = 1 + rng.int(4), stride = 1 + rng.int(3);
    const oh = outSize(h, k, stride, 0), ow = outSize(w, k, stride, 0);
    const outLen = oh > 0 && ow > 0 ? c * oh * ow * batch : 0, inLen = c * h * w * batch;
    const x = randF32(rng, inLen);                        // x [C×H×W×B]
    // Coarse values make ties common: the first maximum must win.
    for (let i = 0; i < inLen; i++) x[i] = Math.round(x[i]! * 3);
    const y = new Float32Array(outLen).fill(NaN), am = new Int32Array(outLen).fill(-7);  // [C×OH×OW×B]
    ref.maxPoolForward(x, c, h, w, batch, k, stride, y, am);
    const dy = randF32(rng, outLen);
    const dx = new Float32Array(inLen).fill(NaN);
    ref.maxPoolBackward(dy, am, outLen, dx, inLen);
    forEachIsa(nb, (isa) => {
      const what = `${isa} c=${c} h=${h} w=${w} b=${batch} k=${k} s=${stride}`;
      const y2 = new Float32Array(outLen).fill(NaN), am2 = new Int32Array(outLen).fill(-7);
      nb.maxPoolForward(x, c, h, w, batch, k, stride, y2, am2);
      assertExact(y2, y, `maxPoolForward y ${what}`);
      assertExact(am2, am, `maxPoolForward argmax ${what}`);
      const dx2 = new Float32Array(inLen).fill(NaN);
      nb.maxPoolBackward(dy, am, outLen, dx2, inLen);
      assertExact(dx2, dx, `maxPoolBackward ${what}`);
    });
  }
});

test('gatherColumns is bit-exact, rows at stride ld with the padding lanes zeroed', () => {
  const rng = new Rng(4003);
  for (let t = 0; t < CASES; t++) {
    const samples = 1 + rng.int(50), features = rng.int(t % 10 === 0 ? 800 : 40), batch = rng.int(70);
    const ld = t % 3 === 0 ? batch : t % 3 === 1 ? Math.ceil(batch / 16) * 16 : batch + rng.int(20);
    const src = randF32(rng, samples * features);         // src [samples×features]
    const idx = new Int32Array(batch);
    for (let b = 0; b < batch; b++) idx[b] = rng.int(samples);
    const want = new Float32Array(features * ld).fill(NaN);   // out [features×batch], rows ld apart
    ref.gatherColumns(src, features, idx, batch, want, ld);
    for (let f = 0; f < features; f++) {
      for (let b = 0; b < batch; b++) assert.equal(want[f * ld + b], src[idx[b]! * features + f], `reference case ${t}`);
      for (let b = batch; b < ld; b++) assert.ok(Object.is(want[f * ld + b], 0), `reference padding case ${t}`);
    }
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(features * ld).fill(NaN);
      nb.gatherColumns(src, features, idx, batch, got, ld);
      assertExact(got, want, `gatherColumns ${isa} features=${features} batch=${batch} ld=${ld}`);
    });
  }
});

test('embeddingGather and embeddingScatterAdd are bit-exact (dense and CSR tables, accumulate on and off)', () => {
  const rng = new Rng(4004);
  const none = new Int32Array(0);
  for (let t = 0; t < CASES; t++) {
    const rows = 1 + rng.int(t % 10 === 0 ? 70 : 9), D = rng.int(t % 10 === 0 ? 130 : 20), n = rng.int(t % 7 === 0 ? 800 : 50);
    const idx = new Int32Array(n).map(() => rng.int(rows)), dx = randF32(rng, D * n), base = randF32(rng, D * n);
    const dense = randF32(rng, rows * D);
    // CSR over [rows × D] keeping about a third
    const rowPtr = new Int32Array(rows + 1), cols: number[] = [];
    for (let r = 0; r < rows; r++) { for (let c = 0; c < D; c++) if (rng.next() < 0.3) cols.push(c); rowPtr[r + 1] = cols.length; }
    const colIdx = Int32Array.from(cols), values = randF32(rng, cols.length);
    const acc = t % 2 === 1;
    for (const [table, rp, ci, what] of [[dense, none, none, 'dense'], [values, rowPtr, colIdx, 'csr']] as const) {
      const want = base.slice(), wantG = randF32(rng, table.length);
      const g0 = wantG.slice();
      ref.embeddingGather(table, rp, ci, rows, D, idx, n, want, acc);
      ref.embeddingScatterAdd(wantG, rp, ci, rows, D, idx, n, dx);
      forEachIsa(nb, (isa) => {
        const got = base.slice(), gotG = g0.slice();
        nb.embeddingGather(table, rp, ci, rows, D, idx, n, got, acc);
        assertExact(got, want, `embeddingGather ${what} ${isa} rows=${rows} D=${D} n=${n} accumulate=${acc}`);
        nb.embeddingScatterAdd(gotG, rp, ci, rows, D, idx, n, dx);
        assertExact(gotG, wantG, `embeddingScatterAdd ${what} ${isa} rows=${rows} D=${D} n=${n}`);
      });
    }
  }
});
