// Native GEMM vs the reference on random shapes, all four transpose cases, every ISA level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, assertClose, Rng } from './helpers.js';

const nb = nativeBackend();

/** Σ|terms| of C = alpha·op(A)·op(B) + beta·C, per element of C (row-major, ldc). */
function gemmBound(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array,
  lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): Float64Array {
  const out = new Float64Array(c.length);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += Math.abs((ta ? a[p * lda + i]! : a[i * lda + p]!) * (tb ? b[j * ldb + p]! : b[p * ldb + j]!));
    out[i * ldc + j] = Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * c[i * ldc + j]!));
  }
  return out;
}

interface GemmCase { ta: boolean; tb: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number }

function runCase(rng: Rng, cs: GemmCase, label: string): void {
  const { ta, tb, m, n, k, alpha, beta, lda, ldb, ldc } = cs;
  const a = randF32(rng, Math.max(0, (ta ? k : m) * lda));   // stored (ta ? k×m : m×k), row stride lda
  const b = randF32(rng, Math.max(0, (tb ? n : k) * ldb));   // stored (tb ? n×k : k×n), row stride ldb
  const c0 = randF32(rng, m * ldc);                          // C [m×n], row stride ldc
  if (beta === 0) for (let i = 0; i < c0.length; i += 3) c0[i] = NaN;  // beta = 0 must overwrite NaN
  const want = c0.slice();
  ref.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
  // Elements outside the m×n window (the ldc padding) must be left untouched.
  const bound = gemmBound(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) bound[i * ldc + j] = 0;
  forEachIsa(nb, (isa) => {
    const got = c0.slice();
    nb.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
    assertClose(got, want, bound, `gemm ${isa} ${label} ${JSON.stringify(cs)}`);
  });
}

test('gemm matches the reference: 4 transpose cases × 60 random shapes, every ISA', () => {
  const rng = new Rng(1001);
  let cases = 0;
  for (const ta of [false, true]) for (const tb of [false, true]) {
    for (let t = 0; t < 60; t++) {
      // Every fifth case has n > 4 vectors' worth of tiles, where A is packed rather than read in place.
      const m = pickSize(rng, 70), n = t % 5 === 4 ? 100 + rng.int(200) : pickSize(rng, 90), k = pickSize(rng, 80);
      const cs: GemmCase = {
        ta, tb, m, n, k, alpha: [1, -0.5, 2.5][t % 3]!, beta: [0, 1, 0.75][rng.int(3)]!,
        lda: (ta ? m : k) + (rng.next() < 0.5 ? 0 : 1 + rng.int(5)),
        ldb: (tb ? k : n) + (rng.next() < 0.5 ? 0 : 1 + rng.int(5)),
        ldc: n + (rng.next() < 0.5 ? 0 : 1 + rng.int(5)),
      };
      runCase(rng, cs, 'random');
      cases++;
    }
  }
  assert.ok(cases >= 200);
});

test('gemm crosses every blocking boundary (k > KC, m > MC) and handles LeNet shapes', () => {
  const rng = new Rng(1002);
  const shapes: Array<[boolean, boolean, number, number, number]> = [
    [false, false, 300, 60, 784], [false, true, 300, 784, 60], [true, false, 784, 60, 300],
    [false, false, 150, 33, 520], [true, true, 161, 47, 300], [false, true, 7, 129, 513], [true, false, 290, 5, 257],
    [false, false, 151, 200, 777], [true, true, 150, 140, 390], [true, false, 13, 300, 385],
  ];
  for (const [ta, tb, m, n, k] of shapes) {
    runCase(rng, { ta, tb, m, n, k, alpha: 1, beta: rng.next() < 0.5 ? 0 : 1, lda: ta ? m : k, ldb: tb ? k : n, ldc: n }, 'large');
  }
});

test('gemm zero-sized and alpha = 0 cases apply beta only', () => {
  forEachIsa(nb, (isa) => {
    const c = Float32Array.from([1, NaN, 3, 4]);
    nb.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0, c, 2);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0], `${isa}: k = 0, beta = 0 zeroes C`);
    const d = Float32Array.from([1, 2, 3, 4]);
    nb.gemm(false, false, 2, 2, 3, 0, new Float32Array(6).fill(NaN), 3, new Float32Array(6), 2, 0.5, d, 2);
    assert.deepEqual(Array.from(d), [0.5, 1, 1.5, 2], `${isa}: alpha = 0 scales C by beta`);
    const e = Float32Array.from([7]);
    nb.gemm(false, false, 0, 5, 5, 1, new Float32Array(0), 5, new Float32Array(25), 5, 0, e, 5);
    nb.gemm(false, false, 3, 0, 5, 1, new Float32Array(15), 5, new Float32Array(0), 0, 0, e, 0);
    assert.equal(e[0], 7, `${isa}: m = 0 or n = 0 writes nothing`);
  });
});
