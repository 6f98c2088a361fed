// Native transformer glue (tanh-GELU, LayerNorm, fused causal attention; forward and backward) vs the plain-TypeScript
// reference, every ISA level, on random and awkward shapes (size 1, odd, non-multiples of the SIMD
// width, more columns than the kernel's column block, empty).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, pickSize, assertExact, Rng } from './helpers.js';

const nb = nativeBackend();
const CASES = 220;

function assertNear(got: Float32Array, want: Float32Array, rel: number, abs: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= abs + rel * Math.abs(want[i]!))) assert.fail(`${what}: [${i}] native ${got[i]} vs reference ${want[i]} (error ${e})`);
  }
}

test('geluForward and geluBackward match the reference (|x| up to 12, tails included)', () => {
  const rng = new Rng(4101);
  for (let t = 0; t < CASES; t++) {
    const len = pickSize(rng, 400);
    const x = randF32(rng, len, -6, 6), dy = randF32(rng, len);
    if (len > 2) { x[0] = 0; x[1] = -12; x[len - 1] = 12; }
    const wantY = new Float32Array(len), wantDx = new Float32Array(len);
    ref.geluForward(x, wantY, len); ref.geluBackward(x, dy, wantDx, len);
    forEachIsa(nb, (isa) => {
      const y = new Float32Array(len).fill(NaN), dx = new Float32Array(len).fill(NaN);
      nb.geluForward(x, y, len); nb.geluBackward(x, dy, dx, len);
      assertNear(y, wantY, 2e-6, 1e-7, `geluForward ${isa} len=${len}`);
      assertNear(dx, wantDx, 2e-6, 1e-6, `geluBackward ${isa} len=${len}`);
      const alias = dy.slice(); nb.geluBackward(x, alias, alias, len);
      assertNear(alias, wantDx, 2e-6, 1e-6, `geluBackward in place ${isa}`);
      // the forward that keeps the derivative: the same GELU bits, and the backward from it the same bits as geluBackward
      const y2 = new Float32Array(len).fill(NaN), d = x.slice();
      nb.geluForwardWithGrad(d, y2, d, len);  // in place over x, as the GPT stores it
      assertExact(y2, y, `geluForwardWithGrad y vs geluForward ${isa} len=${len}`);
      const dx2 = dy.slice(); nb.geluBackwardFromGrad(d, dx2, dx2, len);
      assertExact(dx2, dx, `geluBackwardFromGrad vs geluBackward ${isa} len=${len}`);
    });
  }
});

test('layerNormForward and layerNormBackward match the reference (accumulate on and off)', () => {
  const rng = new Rng(4102);
  for (let t = 0; t < CASES; t++) {
    const d = Math.max(1, pickSize(rng, 70)), n = t % 9 === 0 ? 250 + rng.int(300) : pickSize(rng, 80);
    const x = randF32(rng, d * n, -3, 3), gamma = randF32(rng, d, 0.5, 1.5), beta = randF32(rng, d), dy = randF32(rng, d * n);
    for (let j = 0; j < n; j += 5) x[j] = x[j]! + 40; // offset columns: mean far from 0
    const acc = t % 2 === 0, dx0 = randF32(rng, d * n);
    const want = { y: new Float32Array(d * n), mean: new Float32Array(n), rstd: new Float32Array(n), dx: dx0.slice(), dg: new Float32Array(d), db: new Float32Array(d) };
    ref.layerNormForward(x, gamma, beta, d, n, want.y, want.mean, want.rstd);
    ref.layerNormBackward(dy, x, gamma, want.mean, want.rstd, d, n, want.dx, want.dg, want.db, acc);
    forEachIsa(nb, (isa) => {
      const what = `${isa} d=${d} n=${n} accumulate=${acc}`;
      const y = new Float32Array(d * n).fill(NaN), mean = new Float32Array(n), rstd = new Float32Array(n);
      nb.layerNormForward(x, gamma, beta, d, n, y, mean, rstd);
      assertNear(y, want.y, 1e-4, 2e-5, `layerNormForward y ${what}`);
      assertNear(mean, want.mean, 1e-5, 1e-5, `layerNormForward mean ${what}`);
      assertNear(rstd, want.rstd, 1e-4, 0, `layerNormForward rstd ${what}`);
      const dx = dx0.slice(), dg = new Float32Array(d).fill(NaN), db = new Float32Array(d).fill(NaN);
      nb.layerNormBackward(dy, x, gamma, want.mean, want.rstd, d, n, dx, dg, db, acc);
      assertNear(dx, want.dx, 1e-4, 1e-4, `layerNormBackward dx ${what}`);
      assertNear(dg, want.dg, 1e-4, 1e-4 * Math.sqrt(n + 1), `layerNormBackward dgamma ${what}`);
      assertNear(db, want.db, 1e-4, 1e-4 * Math.sqrt(n + 1), `layerNormBackward dbeta ${what}`);
    });
  }
});

test('causalAttentionForward and causalAttentionBackward match the reference (awkward shapes, every ISA)', () => {
  const rng = new Rng(4103);
  // [B, T, H, D]: T = 1, hd = 1, odd sizes, T and hd off the SIMD width, the baby GPT's head shape
  const shapes: Array<[number, number, number, number]> = [[1, 1, 1, 1], [2, 1, 3, 3], [1, 5, 1, 7], [3, 17, 2, 6], [2, 33, 3, 15], [1, 64, 4, 128], [2, 40, 1, 48], [1, 70, 5, 35],
    // T a whole number of vectors with B > 1 (K, V and P read in place, full 16 × 16 transposes)
    [3, 64, 2, 64], [2, 16, 1, 8], [2, 48, 3, 24]];
  for (let c = 0; c < 12; c++) shapes.push([1 + rng.int(3), 1 + rng.int(40), 1 + rng.int(4), 0].map((v, i, a) => (i === 3 ? a[2]! * (1 + rng.int(20)) : v)) as [number, number, number, number]);
  for (const [B, T, H, D] of shapes) {
    const N = B * T, qkv = randF32(rng, 3 * D * N, -2, 2), dy = randF32(rng, D * N);
    const want = { y: new Float32Array(D * N), p: new Float32Array(B * H * T * T), dqkv: new Float32Array(3 * D * N) };
    ref.causalAttentionForward(qkv, B, T, H, D, want.y, want.p);
    ref.causalAttentionBackward(dy, qkv, want.p, B, T, H, D, want.dqkv);
    forEachIsa(nb, (isa) => {
      const what = `${isa} B=${B} T=${T} H=${H} D=${D}`;
      const y = new Float32Array(D * N).fill(NaN), p = new Float32Array(B * H * T * T).fill(NaN), dqkv = new Float32Array(3 * D * N).fill(NaN);
      nb.causalAttentionForward(qkv, B, T, H, D, y, p);
      assertNear(p, want.p, 1e-5, 1e-6, `causalAttentionForward p ${what}`);
      assertNear(y, want.y, 1e-5, 1e-5, `causalAttentionForward y ${what}`);
      nb.causalAttentionBackward(dy, qkv, want.p, B, T, H, D, dqkv);
      assertNear(dqkv, want.dqkv, 1e-4, 1e-4, `causalAttentionBackward dqkv ${what}`);
    });
  }
});

test('the transformer kernels refuse short arrays with an error, not a crash', () => {
  assert.throws(() => nb.geluForward(new Float32Array(3), new Float32Array(2), 3), /y/);
  assert.throws(() => nb.layerNormForward(new Float32Array(6), new Float32Array(2), new Float32Array(2), 2, 3, new Float32Array(6), new Float32Array(2), new Float32Array(3)), /mean/);
  assert.throws(() => nb.layerNormForward(new Float32Array(0), new Float32Array(0), new Float32Array(0), 0, 3, new Float32Array(0), new Float32Array(3), new Float32Array(3)), /d must be/);
  assert.throws(() => nb.causalAttentionForward(new Float32Array(3 * 4 * 2), 1, 2, 2, 4, new Float32Array(8), new Float32Array(7)), /p has/);
  assert.throws(() => nb.causalAttentionForward(new Float32Array(3 * 4 * 2), 1, 2, 3, 4, new Float32Array(8), new Float32Array(12)), /multiple of H/);
  assert.throws(() => nb.causalAttentionBackward(new Float32Array(8), new Float32Array(24), new Float32Array(8), 1, 2, 2, 4, new Float32Array(23)), /dqkv/);
});
