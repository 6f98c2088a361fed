// The transformer: attention and embedding kernels against slow obvious twins on awkward shapes,
// every backward (LayerNorm, GELU, causal attention, embeddings, cross-entropy, the whole model —
// tied and untied, dense and sparse storage) against central differences, determinism, masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { loadNativeBackend } from '../../src/backend/native.js';
import type { Backend } from '../../src/backend/backend.js';
import { attentionBackward, attentionForward, gatherRows, scatterAddRows } from '../../src/nn/gpt/ops.js';
import { Gpt, type GptConfig } from '../../src/nn/gpt/model.js';
import { buildGpt, gptConfig } from '../../src/models/gpt.js';
import { AdamW, clipGradNorm, cosineLr } from '../../src/optim/adamw.js';
import { WeightMatrix } from '../../src/nn/weights.js';
import { Rng } from '../../src/util/rng.js';

const loaded = loadNativeBackend();
if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);
const nb = loaded.backend;
const BACKENDS: Backend[] = [ref, nb];

const rand = (rng: Rng, n: number, s = 1): Float32Array => new Float32Array(n).map(() => s * rng.normal());

/** softmax(QᵀK/√hd, causal)·V per sequence and head, in float64, element by element. */
function naiveAttention(qkv: Float32Array, B: number, T: number, H: number, D: number): Float64Array {
  const N = B * T, hd = D / H, y = new Float64Array(D * N);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const s: number[] = [];
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let d = 0; d < hd; d++) dot += qkv[(h * hd + d) * N + b * T + i]! * qkv[(D + h * hd + d) * N + b * T + j]!;
      s.push(dot / Math.sqrt(hd));
    }
    const m = Math.max(...s), e = s.map((v) => Math.exp(v - m)), z = e.reduce((a, c) => a + c, 0);
    for (let d = 0; d < hd; d++) {
      let acc = 0;
      for (let j = 0; j <= i; j++) acc += (e[j]! / z) * qkv[(2 * D + h * hd + d) * N + b * T + j]!;
      y[(h * hd + d) * N + b * T + i] = acc;
    }
  }
  return y;
}

const SHAPES: Array<[number, number, number, number]> = [[1, 1, 1, 1], [1, 5, 1, 3], [2, 7, 3, 6], [3, 1, 2, 4], [2, 17, 4, 20], [1, 33, 2, 34], [2, 64, 4, 32]];

test('causal attention matches a naive float64 twin on awkward shapes, both backends', () => {
  const rng = new Rng(7001);
  for (const [B, T, H, D] of SHAPES) {
    const qkv = rand(rng, 3 * D * B * T), want = naiveAttention(qkv, B, T, H, D);
    for (const be of BACKENDS) {
      const y = new Float32Array(D * B * T).fill(NaN), p = new Float32Array(B * H * T * T);
      attentionForward(be, qkv, B, T, H, D, y, p);
      for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i]! - want[i]!) < 1e-5 * (1 + Math.abs(want[i]!)), `${be.name} B${B} T${T} H${H} D${D} [${i}]: ${y[i]} vs ${want[i]}`);
    }
  }
});

/** Central differences of L = Σ w ⊙ f(x) against the analytic gradient, over sampled entries. */
function numericCheck(name: string, x: Float32Array, f: () => Float32Array, grad: Float32Array, w: Float32Array, rng: Rng, picks = 25): void {
  const L = (): number => { const y = f(); let s = 0; for (let i = 0; i < w.length; i++) s += w[i]! * y[i]!; return s; };
  for (let t = 0; t < picks; t++) {
    const i = rng.int(x.length), old = x[i]!, eps = 1e-2;
    x[i] = old + eps; const lp = L(); x[i] = old - eps; const lm = L(); x[i] = old;
    const num = (lp - lm) / (2 * eps), ana = grad[i]!;
    const err = Math.abs(num - ana) / Math.max(Math.abs(num) + Math.abs(ana), 1e-2);
    assert.ok(err < 1e-2, `${name}[${i}]: analytic ${ana} vs numerical ${num} (rel ${err})`);
  }
}

test('attention backward matches central differences, both backends', () => {
  const rng = new Rng(7002);
  for (const [B, T, H, D] of SHAPES.slice(0, 6)) {
    for (const be of BACKENDS) {
      const N = B * T, qkv = rand(rng, 3 * D * N), w = rand(rng, D * N);
      const y = new Float32Array(D * N), p = new Float32Array(B * H * T * T), dqkv = new Float32Array(3 * D * N).fill(NaN);
      attentionForward(be, qkv, B, T, H, D, y, p);
      attentionBackward(be, w, qkv, p, B, T, H, D, dqkv);
      numericCheck(`attention ${be.name} B${B} T${T} H${H} D${D}`, qkv, () => { attentionForward(be, qkv, B, T, H, D, y, p); return y; }, dqkv, w, rng);
    }
  }
});

test('LayerNorm and GELU backward match central differences, both backends', () => {
  const rng = new Rng(7003);
  for (const [d, n] of [[1, 1], [3, 5], [17, 9], [64, 3]] as const) {
    for (const be of BACKENDS) {
      const x = rand(rng, d * n, 2), gamma = rand(rng, d), beta = rand(rng, d), w = rand(rng, d * n);
      const y = new Float32Array(d * n), mean = new Float32Array(n), rstd = new Float32Array(n);
      const dx = new Float32Array(d * n), dg = new Float32Array(d), db = new Float32Array(d);
      const fwd = (): Float32Array => { be.layerNormForward(x, gamma, beta, d, n, y, mean, rstd); return y; };
      fwd();
      be.layerNormBackward(w, x, gamma, mean, rstd, d, n, dx, dg, db, false);
      if (d > 1) numericCheck(`layerNorm dx ${be.name} ${d}×${n}`, x, fwd, dx, w, rng);
      numericCheck(`layerNorm dgamma ${be.name} ${d}×${n}`, gamma, fwd, dg, w, rng);
      numericCheck(`layerNorm dbeta ${be.name} ${d}×${n}`, beta, fwd, db, w, rng);
      const g = new Float32Array(d * n), dgx = new Float32Array(d * n);
      const gelu = (): Float32Array => { be.geluForward(x, g, d * n); return g; };
      be.geluBackward(x, w, dgx, d * n);
      numericCheck(`gelu ${be.name} ${d}×${n}`, x, gelu, dgx, w, rng);
      // the GPT's form: the derivative stored by the forward, the backward a multiply by it
      const dydx = new Float32Array(d * n), dgx2 = new Float32Array(d * n);
      be.geluForwardWithGrad(x, new Float32Array(d * n), dydx, d * n);
      be.geluBackwardFromGrad(dydx, w, dgx2, d * n);
      numericCheck(`gelu from its stored derivative ${be.name} ${d}×${n}`, x, gelu, dgx2, w, rng);
    }
  }
});

test('embedding gather and scatter-add match naive loops, dense and CSR tables', () => {
  const rng = new Rng(7004);
  for (const [rows, D, N] of [[1, 1, 1], [5, 3, 7], [65, 17, 40], [9, 32, 0]] as const) {
    const dense = rand(rng, rows * D), mask = new Uint8Array(rows * D).map(() => (rng.next() < 0.3 ? 1 : 0));
    const idx = new Int32Array(N).map(() => rng.int(rows)), dx = rand(rng, D * N);
    for (const storage of ['dense', 'sparse'] as const) {
      const wm = new WeightMatrix(rows, D, dense, mask, storage);
      const csr = wm.csr(), table = { dense: csr ? null : wm.value, csr };
      const kept = wm.toDense();
      for (const be of BACKENDS) {
        const out = new Float32Array(D * N).fill(NaN);
        gatherRows(be, table, rows, D, idx, N, out, false);
        for (let j = 0; j < N; j++) for (let d = 0; d < D; d++) assert.equal(out[d * N + j], kept[idx[j]! * D + d], `gather ${storage} ${be.name}`);
        const pos = new Int32Array(N).map(() => rng.int(rows)), twice = out.slice();
        gatherRows(be, table, rows, D, pos, N, twice, true);
        for (let j = 0; j < N; j++) for (let d = 0; d < D; d++) assert.equal(twice[d * N + j], Math.fround(out[d * N + j]! + kept[pos[j]! * D + d]!), `gather += ${storage} ${be.name}`);
        const grad = new Float32Array(wm.grad.length);
        scatterAddRows(be, table, grad, rows, D, idx, N, dx);
        const want = new Float64Array(rows * D);
        for (let j = 0; j < N; j++) for (let d = 0; d < D; d++) want[idx[j]! * D + d]! += dx[d * N + j]!;
        const gotDense = new WeightMatrix(rows, D, new Float32Array(rows * D), null, 'dense');
        if (csr) { // map CSR-ordered gradient back to positions
          for (let r = 0, q = 0; r < rows; r++) for (let c = 0; c < D; c++) if (mask[r * D + c]) { gotDense.value[r * D + c] = grad[q++]!; }
          for (let i = 0; i < rows * D; i++) if (mask[i]) assert.ok(Math.abs(gotDense.value[i]! - want[i]!) < 1e-5, `scatter sparse [${i}]`);
        } else {
          for (let i = 0; i < rows * D; i++) assert.ok(Math.abs(grad[i]! - want[i]!) < 1e-5, `scatter dense [${i}]`);
      }
      }
    }
  }
});

function randomizeModel(model: Gpt, rng: Rng, density: number, storage: 'dense' | 'sparse' | 'auto'): void {
  void storage;
  for (const l of model.weightLayers()) {
    const w = rand(rng, l.weights.rows * l.weights.cols, 0.4);
    const mask = density < 1 ? new Uint8Array(w.length).map(() => (rng.next() < density ? 1 : 0)) : null;
    l.setWeights(w, mask);
    l.bias.forEach((_, i) => { l.bias[i] = 0.1 * rng.normal(); });
  }
  for (const p of model.params()) if (!p.decay && p.name.includes('ln')) for (let i = 0; i < p.value.length; i++) p.value[i] = (p.name.endsWith('weight') ? 1 : 0) + 0.2 * rng.normal();
}

function modelCheck(be: Backend, cfg: GptConfig, density: number, storage: 'dense' | 'sparse', seed: number): void {
  const rng = new Rng(seed), B = 2, T = cfg.context;
  const model = new Gpt(cfg, { storage });
  randomizeModel(model, rng, density, storage);
  const x = new Int32Array(B * T).map(() => rng.int(cfg.vocab)), y = new Int32Array(B * T).map(() => rng.int(cfg.vocab));
  model.lossAndGrad(be, x, y, B, T);
  const masks = new Map(model.weightLayers().map((l) => [`${l.name}.weight`, l.weights.mask]));
  const params = model.params().map((p) => ({ ...p, grad: Float32Array.from(p.grad), mask: masks.get(p.name) ?? null }));
  let checked = 0;
  for (const p of params) {
    for (let t = 0; t < Math.min(p.value.length, 6); t++) {
      const i = rng.int(p.value.length);
      if (p.mask && !p.mask[i]) { assert.equal(p.grad[i], 0, `${p.name}[${i}] pruned but has a gradient`); continue; }
      const old = p.value[i]!, eps = 1e-3;
      p.value[i] = old + eps; const lp = model.loss(be, x, y, B, T);
      p.value[i] = old - eps; const lm = model.loss(be, x, y, B, T);
      p.value[i] = old;
      const num = (lp - lm) / (2 * eps), ana = p.grad[i]!;
      const err = Math.abs(num - ana) / Math.max(Math.abs(num) + Math.abs(ana), 1e-2);
      assert.ok(err < 2e-2, `${be.name} ${p.name}[${i}]: analytic ${ana} vs numerical ${num} (rel ${err})`);
      checked++;
    }
  }
  assert.ok(checked > 20);
}

test('whole-model gradients (embeddings, blocks, head, cross-entropy) match central differences', () => {
  modelCheck(ref, { layers: 2, heads: 2, dim: 6, context: 5, vocab: 7, tied: true, bias: true }, 1, 'dense', 7101);
  modelCheck(ref, { layers: 1, heads: 3, dim: 9, context: 4, vocab: 11, tied: false, bias: true }, 1, 'dense', 7102);
  modelCheck(ref, { layers: 2, heads: 1, dim: 8, context: 3, vocab: 5, tied: true, bias: true }, 0.5, 'sparse', 7103);
  modelCheck(ref, { layers: 1, heads: 2, dim: 8, context: 6, vocab: 6, tied: false, bias: true }, 0.6, 'dense', 7104);
  modelCheck(nb, { layers: 2, heads: 2, dim: 8, context: 7, vocab: 9, tied: true, bias: true }, 1, 'dense', 7105);
  modelCheck(nb, { layers: 1, heads: 2, dim: 8, context: 4, vocab: 9, tied: false, bias: true }, 0.5, 'sparse', 7106);
  // without biases (nanoGPT's bias=False: `-nobias`)
  modelCheck(ref, { layers: 2, heads: 2, dim: 6, context: 5, vocab: 7, tied: true, bias: false }, 1, 'dense', 7107);
  modelCheck(nb, { layers: 1, heads: 2, dim: 8, context: 4, vocab: 9, tied: false, bias: false }, 0.5, 'sparse', 7108);
});

test('gpt:…-nobias has no bias parameters (linear layers and LayerNorms), -untied-nobias also an own head', () => {
  const names = (spec: string): string[] => buildGpt(gptConfig(spec, 7), { seed: 1 }).params().map((p) => p.name);
  const withBias = names('gpt:1-1-4-3'), without = names('gpt:1-1-4-3-nobias');
  assert.equal(without.filter((n) => n.endsWith('.bias')).length, 0);
  assert.deepEqual(without, withBias.filter((n) => !n.endsWith('.bias')));
  assert.ok(names('gpt:1-1-4-3-untied-nobias').includes('lm_head.weight'));
  assert.equal(gptConfig('gpt:1-1-4-3-nobias', 7).bias, false);
});

test('native and reference backends agree on the loss and every gradient of a model', () => {
  const cfg = gptConfig('gpt:2-2-16-9', 13);
  const rng = new Rng(7201), B = 3, T = 9;
  const a = buildGpt(cfg, { seed: 5 }), b = buildGpt(cfg, { seed: 5 });
  const x = new Int32Array(B * T).map(() => rng.int(13)), y = new Int32Array(B * T).map(() => rng.int(13));
  const la = a.lossAndGrad(ref, x, y, B, T), lb = b.lossAndGrad(nb, x, y, B, T);
  assert.ok(Math.abs(la - lb) < 1e-5, `${la} vs ${lb}`);
  const pa = a.params(), pb = b.params();
  pa.forEach((p, k) => {
    const q = pb[k]!; let m = 0, e = 0;
    for (let i = 0; i < p.grad.length; i++) { m = Math.max(m, Math.abs(p.grad[i]!)); e = Math.max(e, Math.abs(p.grad[i]! - q.grad[i]!)); }
    assert.ok(e <= 1e-4 * m + 1e-9, `${p.name}: max difference ${e} (max |g| ${m})`);
  });
});

test('same seed, same steps: identical weights; masks stay exactly zero under AdamW', () => {
  const cfg = gptConfig('gpt:1-2-8-6', 10);
  const run = (): Float32Array[] => {
    const m = buildGpt(cfg, { seed: 3, density: 0.5 });
    const ps = m.params(), opt = new AdamW(ps, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
    const rng = new Rng(9);
    for (let s = 0; s < 4; s++) {
      const x = new Int32Array(12).map(() => rng.int(10)), y = new Int32Array(12).map(() => rng.int(10));
      m.lossAndGrad(nb, x, y, 2, 6); clipGradNorm(ps, 1); opt.update(nb, 1e-2);
    }
    for (const l of m.weightLayers()) { const w = l.weights.toDense(), mask = l.weights.toMask(); for (let i = 0; i < w.length; i++) if (!mask[i]) assert.equal(w[i], 0); }
    return m.params().map((p) => Float32Array.from(p.value));
  };
  const a = run(), b = run();
  a.forEach((v, i) => assert.deepEqual(v, b[i]));
});

test('a 10%-dense model stores every matrix sparse and trains', () => {
  const cfg = gptConfig('gpt:2-2-32-8', 20);
  const m = buildGpt(cfg, { seed: 1, density: 0.1 });
  for (const l of m.weightLayers()) { assert.equal(l.weights.storage, 'sparse', l.name); assert.ok(Math.abs(l.weights.density - 0.1) < 0.02); }
  const ps = m.params(), opt = new AdamW(ps, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 });
  const x = new Int32Array(16).map((_, i) => i % 20), y = new Int32Array(16).map((_, i) => (i + 1) % 20);
  const first = m.lossAndGrad(nb, x, y, 2, 8);
  for (let s = 0; s < 30; s++) { m.lossAndGrad(nb, x, y, 2, 8); opt.update(nb, 3e-2); }
  assert.ok(m.loss(nb, x, y, 2, 8) < first - 0.5, 'loss falls on a memorizable batch');
});

test('clipping, schedule and bad specs', () => {
  const p = [{ name: 'a', value: new Float32Array(2), grad: new Float32Array([3, 4]) }];
  assert.ok(Math.abs(clipGradNorm(p, 1) - 5) < 1e-12);
  assert.ok(Math.abs(Math.hypot(p[0]!.grad[0]!, p[0]!.grad[1]!) - 5 / (5 + 1e-6)) < 1e-6);
  assert.equal(cosineLr(0, 1e-3, 1e-4, 100, 2000), 1e-3 / 101);
  assert.ok(Math.abs(cosineLr(100, 1e-3, 1e-4, 100, 2000) - 1e-3) < 1e-15);
  assert.ok(Math.abs(cosineLr(2000, 1e-3, 1e-4, 100, 2000) - 1e-4) < 1e-15);
  assert.throws(() => gptConfig('gpt:2-3-8-4', 5), /not a multiple of the 3 heads/);
  assert.throws(() => gptConfig('gpt:2-2', 5), /expected gpt:LAYERS-HEADS-WIDTH-CONTEXT/);
  const m = buildGpt(gptConfig('gpt:1-1-4-4', 5), { seed: 0 });
  assert.throws(() => m.forward(nb, new Int32Array(5), 1, 5), /exceeds the context of 4/);
  assert.throws(() => m.forward(nb, new Int32Array([0, 9]), 1, 2), /outside the vocabulary/);
});
