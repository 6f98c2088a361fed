// Native element-wise glue, loss and optimizer kernels vs the reference, every ISA level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, assertClose, assertExact, Rng } from './helpers.js';

const nb = nativeBackend();
const CASES = 220;

test('biasActivation (relu on/off) is exact', () => {
  const rng = new Rng(3001);
  for (let t = 0; t < CASES; t++) {
    const rows = pickSize(rng, 40), n = pickSize(rng, 80), relu = t % 2 === 0;
    const y0 = randF32(rng, rows * n), bias = randF32(rng, rows);   // y [rows×n], bias [rows]
    const want = y0.slice();
    ref.biasActivation(want, bias, rows, n, relu);
    forEachIsa(nb, (isa) => {
      const got = y0.slice();
      nb.biasActivation(got, bias, rows, n, relu);
      assertExact(got, want, `biasActivation ${isa} rows=${rows} n=${n} relu=${relu}`);
    });
  }
});

test('reluBackward and applyMask are exact (zeros and NaN included)', () => {
  const rng = new Rng(3002);
  for (let t = 0; t < CASES; t++) {
    const len = pickSize(rng, 300);
    const y = randF32(rng, len), dy0 = randF32(rng, len);
    for (let i = 0; i < len; i += 7) y[i] = 0;
    if (len > 3) y[3] = NaN;
    const mask = new Uint8Array(len);
    for (let i = 0; i < len; i++) mask[i] = rng.next() < 0.5 ? 0 : 1 + rng.int(255);
    const wantR = dy0.slice(), wantM = dy0.slice();
    ref.reluBackward(y, wantR, len);
    ref.applyMask(wantM, mask, len);
    forEachIsa(nb, (isa) => {
      const gotR = dy0.slice(), gotM = dy0.slice();
      nb.reluBackward(y, gotR, len);
      nb.applyMask(gotM, mask, len);
      assertExact(gotR, wantR, `reluBackward ${isa} len=${len}`);
      assertExact(gotM, wantM, `applyMask ${isa} len=${len}`);
    });
  }
});

// The ReLU's backward into a padded, aligned buffer (a sparse layer's output gradient): the same values as in place,
// the padding lanes zero, and rowSum over it at that stride equal to rowSum over the packed array, bit for bit.
test('reluBackwardTo equals reluBackward at a padded stride; rowSum with a row stride equals the packed one', () => {
  const rng = new Rng(3005);
  for (let t = 0; t < CASES; t++) {
    const rows = pickSize(rng, 40), n = [1, 7, 16, 60, 64, 65, 130][t % 7]!;
    const ld = [Math.ceil(n / 16) * 16, n + 1 + rng.int(9), n][t % 3]!;
    const y = randF32(rng, rows * n), dy = randF32(rng, rows * n);
    for (let i = 0; i < y.length; i += 7) y[i] = 0;
    if (y.length > 3) y[3] = NaN;
    const packed = dy.slice();
    ref.reluBackward(y, packed, rows * n);
    const want = new Float32Array(rows * ld);
    for (let r = 0; r < rows; r++) want.set(packed.subarray(r * n, r * n + n), r * ld);
    const check = (be: typeof ref, out: Float32Array, what: string): void => {
      out.fill(NaN);
      be.reluBackwardTo(y, dy, rows, n, out, ld);
      assertExact(out, want, `reluBackwardTo ${what} rows=${rows} n=${n} ld=${ld}`);
      const sum = new Float32Array(rows), sumPacked = new Float32Array(rows);
      be.rowSum(out, rows, n, sum, ld);
      be.rowSum(packed, rows, n, sumPacked);
      assertExact(sum, sumPacked, `rowSum at stride ${ld} ${what} rows=${rows} n=${n}`);
    };
    check(ref, new Float32Array(rows * ld), 'reference');
    forEachIsa(nb, (isa) => check(nb, nb.allocActivations!(rows * ld), isa));
  }
  assert.throws(() => nb.reluBackwardTo(new Float32Array(8), new Float32Array(8), 2, 4, new Float32Array(15), 8), /reluBackwardTo: out has 15 elements, needs at least 16/);
  assert.throws(() => nb.reluBackwardTo(new Float32Array(8), new Float32Array(8), 2, 4, new Float32Array(16), 3), /reluBackwardTo: ld must be at least n = 4, got 3/);
  assert.throws(() => nb.rowSum(new Float32Array(11), 2, 4, new Float32Array(2), 8), /rowSum: dy has 11 elements, needs at least 12/);
});

test('rowSum matches the reference', () => {
  const rng = new Rng(3003);
  for (let t = 0; t < CASES; t++) {
    const rows = pickSize(rng, 40), n = t % 10 === 0 ? 200 + rng.int(300) : pickSize(rng, 80);
    const dy = randF32(rng, rows * n);             // dy [rows×n]
    const want = new Float32Array(rows).fill(NaN);
    ref.rowSum(dy, rows, n, want);
    const bound = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) bound[r]! += Math.abs(dy[r * n + j]!);
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(rows).fill(NaN);
      nb.rowSum(dy, rows, n, got);
      assertClose(got, want, bound, `rowSum ${isa} rows=${rows} n=${n}`);
    });
  }
});

test('softmaxCrossEntropy (loss and gradient) and countCorrect match the reference', () => {
  const rng = new Rng(3004);
  for (let t = 0; t < CASES; t++) {
    const classes = 1 + pickSize(rng, 20), n = pickSize(rng, 80);
    const scale = [1, 10, 60][t % 3]!;             // large logits exercise the max subtraction
    const logits = randF32(rng, classes * n, -scale, scale);   // logits [classes×n]
    const labels = new Int32Array(n);
    for (let j = 0; j < n; j++) labels[j] = rng.int(classes);
    if (t % 5 === 0 && n > 0 && classes > 1) { logits[n] = logits[0]!; }  // a tie: first max wins
    const want = new Float32Array(classes * n).fill(NaN);
    const wantLoss = ref.softmaxCrossEntropy(logits, labels, classes, n, want);
    const wantCorrect = ref.countCorrect(logits, labels, classes, n);
    // Per column: loss terms log Σ exp(l − max) and |l_label − max|; gradient terms p/n and 1/n.
    let lossBound = 0;
    for (let j = 0; j < n; j++) {
      let mx = -Infinity;
      for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[c * n + j]!);
      let s = 0;
      for (let c = 0; c < classes; c++) s += Math.exp(logits[c * n + j]! - mx);
      lossBound += Math.abs(Math.log(s)) + Math.abs(logits[labels[j]! * n + j]! - mx);
    }
    const gradBound = new Float64Array(classes * n);
    for (let i = 0; i < gradBound.length; i++) gradBound[i] = (Math.abs(want[i]!) + 2 / n);
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(classes * n).fill(NaN);
      const loss = nb.softmaxCrossEntropy(logits, labels, classes, n, got);
      const what = `${isa} classes=${classes} n=${n}`;
      assert.equal(typeof loss, 'number');
      assert.ok(Math.abs(loss - wantLoss) <= 1e-5 * lossBound + 1e-30, `loss ${what}: ${loss} vs ${wantLoss}`);
      assertClose(got, want, gradBound, `softmax grad ${what}`);
      assert.equal(nb.countCorrect(logits, labels, classes, n), wantCorrect, `countCorrect ${what}`);
    });
  }
});

// softmaxCrossEntropyWide (the GPT's vocabulary × many columns): float across the columns with simd::expV.
// x = l − max rounds once (an error of |x|·2⁻²⁴ in e^x) and expV is within 2 ulp; each Σ is a float sum of ≤ 70
// such terms, so log Σ and 1/Σ are within (classes + 8)·2⁻²⁴ + range·2⁻²⁴ relative (range: the column's largest
// |l − max|). The label entry −Σ′/(nΣ) (Σ′ without the label's term) keeps that relative bound even when p ≈ 1,
// where the reference's double p − 1 carries its double Σ's rounding (≤ classes·2⁻⁵³ absolute); e^x is clamped
// at e^−87 (≈ 1.6e-38).
test('softmaxCrossEntropyWide matches the reference within float rounding, every ISA', () => {
  const rng = new Rng(3006);
  for (let t = 0; t < CASES; t++) {
    const classes = 1 + pickSize(rng, 70), n = pickSize(rng, 100);
    const scale = [1, 10, 60][t % 3]!;
    const logits = randF32(rng, classes * n, -scale, scale);
    const labels = new Int32Array(n);
    for (let j = 0; j < n; j++) labels[j] = rng.int(classes);
    if (t % 4 === 1) for (let j = 0; j < n; j += 3) logits[labels[j]! * n + j] = 40;  // p ≈ 1: no cancellation
    const want = new Float32Array(classes * n).fill(NaN);
    const wantLoss = ref.softmaxCrossEntropy(logits, labels, classes, n, want);
    let lossBound = 0;
    const gradBound = new Float64Array(classes * n);
    for (let j = 0; j < n; j++) {
      let mx = -Infinity, mn = Infinity;
      for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[c * n + j]!), mn = Math.min(mn, logits[c * n + j]!);
      const rel = (classes + 8 + (mx - mn)) * 2 ** -24;
      lossBound += rel + 2 ** -24 * Math.abs(logits[labels[j]! * n + j]! - mx);
      for (let c = 0; c < classes; c++) gradBound[c * n + j] = Math.abs(want[c * n + j]!) * rel + (classes * 2 ** -52 + 2e-38) / n;
    }
    forEachIsa(nb, (isa) => {
      const got = new Float32Array(classes * n).fill(NaN);
      const loss = nb.softmaxCrossEntropyWide(logits, labels, classes, n, got);
      const what = `${isa} classes=${classes} n=${n} scale=${scale}`;
      assert.ok(Math.abs(loss - wantLoss) <= lossBound + 1e-30, `loss ${what}: ${loss} vs ${wantLoss}`);
      assertClose(got, want, gradBound, `softmaxCrossEntropyWide grad ${what}`, got.length, 1);
    });
  }
});

test('sgdStep, momentumStep and adamStep match the reference', () => {
  const rng = new Rng(3005);
  for (let t = 0; t < CASES; t++) {
    const len = pickSize(rng, 300);
    const w0 = randF32(rng, len), g = randF32(rng, len), v0 = randF32(rng, len), m0 = randF32(rng, len);
    const vAdam0 = randF32(rng, len, 0, 1);       // second moments are non-negative
    const lr = rng.uniform(0.001, 0.5), wd = t % 2 ? 0 : rng.uniform(0, 0.01), mu = rng.uniform(0.5, 0.99);
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, step = 1 + rng.int(t % 4 === 0 ? 20000 : 10);
    // sgd
    const wS = w0.slice(); ref.sgdStep(wS, g, len, lr, wd);
    const bS = new Float64Array(len).map((_, i) => Math.abs(w0[i]!) + lr * (Math.abs(g[i]!) + Math.abs(wd * w0[i]!)));
    // momentum
    const wM = w0.slice(), vM = v0.slice(); ref.momentumStep(wM, g, vM, len, lr, mu, wd);
    const bV = new Float64Array(len).map((_, i) => Math.abs(mu * v0[i]!) + Math.abs(g[i]!) + Math.abs(wd * w0[i]!));
    const bM = new Float64Array(len).map((_, i) => Math.abs(w0[i]!) + lr * bV[i]!);
    // adam
    const wA = w0.slice(), mA = m0.slice(), vA = vAdam0.slice();
    ref.adamStep(wA, g, mA, vA, len, lr, b1, b2, eps, step);
    const bm = new Float64Array(len).map((_, i) => Math.abs(b1 * m0[i]!) + Math.abs((1 - b1) * g[i]!));
    const bv = new Float64Array(len).map((_, i) => b2 * vAdam0[i]! + (1 - b2) * g[i]! * g[i]!);
    const bw = new Float64Array(len).map((_, i) => Math.abs(w0[i]!) + Math.abs(w0[i]! - wA[i]!) * 2);
    forEachIsa(nb, (isa) => {
      const what = `${isa} len=${len} step=${step}`;
      const ws = w0.slice(); nb.sgdStep(ws, g, len, lr, wd);
      assertClose(ws, wS, bS, `sgdStep ${what}`);
      const wm = w0.slice(), vm = v0.slice(); nb.momentumStep(wm, g, vm, len, lr, mu, wd);
      assertClose(vm, vM, bV, `momentumStep v ${what}`);
      assertClose(wm, wM, bM, `momentumStep w ${what}`);
      const wa = w0.slice(), ma = m0.slice(), va = vAdam0.slice();
      nb.adamStep(wa, g, ma, va, len, lr, b1, b2, eps, step);
      assertClose(ma, mA, bm, `adamStep m ${what}`);
      assertClose(va, vA, bv, `adamStep v ${what}`);
      assertClose(wa, wA, bw, `adamStep w ${what}`);
    });
  }
});
