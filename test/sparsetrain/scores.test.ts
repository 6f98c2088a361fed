// The scores of pruning at initialization against plain references: the float64 network's gradient and
// Hessian-vector product against central differences (MLP, and a small conv + pool + fc net), SNIP/GraSP/SynFlow
// against their definitions written out, SynFlow's schedule, and the global selection against a brute-force sort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../src/models/build.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { hessianVector, lossGradient, lossOf, outputsOf, scoreOps, type WeightOp } from '../../src/sparsetrain/scorenet.js';
import { graspScores, keepTop, snipScores, synflowMasks, synflowScores } from '../../src/sparsetrain/scores.js';
import { Rng } from '../../src/util/rng.js';

function net(spec: string, shape: [number, number, number], classes: number, seed: number): Sequential {
  const m = buildModel(spec, shape, classes, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const l of m.weightLayers()) l.bias.forEach((_, i) => { l.bias[i] = 0.1 * rng.normal(); });
  return m;
}

function batch(features: number, classes: number, n: number, seed: number): { x: Float64Array; labels: Int32Array; n: number } {
  const rng = new Rng(seed);
  return { x: Float64Array.from({ length: features * n }, () => rng.normal()), labels: Int32Array.from({ length: n }, () => rng.int(classes)), n };
}

const weightOps = (ops: ReturnType<typeof scoreOps>): WeightOp[] => ops.filter((o): o is WeightOp => o.kind === 'weight');

for (const [spec, shape] of [['mlp:6-5-4-3', [6, 1, 1]], ['conv:2-pool/4', [1, 4, 4]]] as const) {
  test(`float64 gradient and H·v match central differences (${spec})`, () => {
    const model = net(spec, [...shape], 3, 1), ops = scoreOps(model), b = batch(shape[0] * shape[1] * shape[2], 3, 5, 2);
    for (const T of [1, 3]) {
      const g = lossGradient(ops, b.x, b.labels, b.n, T);
      const rng = new Rng(3);
      const v = weightOps(ops).map((o) => Float64Array.from(o.w, () => rng.normal()));
      const hv = hessianVector(ops, b.x, b.labels, b.n, v, T);
      const h = 1e-5;
      weightOps(ops).forEach((o, li) => {
        for (let j = 0; j < o.w.length; j++) {
          const w0 = o.w[j]!;
          o.w[j] = w0 + h; const lp = lossOf(ops, b.x, b.labels, b.n, T);
          o.w[j] = w0 - h; const lm = lossOf(ops, b.x, b.labels, b.n, T);
          o.w[j] = w0;
          const num = (lp - lm) / (2 * h);
          assert.ok(Math.abs(num - g[li]![j]!) <= 1e-7 + 1e-5 * Math.abs(num), `${o.name}[${j}] gradient ${g[li]![j]} vs ${num}`);
        }
      });
      // H·v: central difference of the gradient along v.
      const e = 1e-5;
      const shift = (s: number): void => weightOps(ops).forEach((o, li) => { for (let j = 0; j < o.w.length; j++) o.w[j] = o.w[j]! + s * v[li]![j]!; });
      shift(e); const gp = lossGradient(ops, b.x, b.labels, b.n, T);
      shift(-2 * e); const gm = lossGradient(ops, b.x, b.labels, b.n, T);
      shift(e);
      hv.forEach((a, li) => a.forEach((x, j) => {
        const num = (gp[li]![j]! - gm[li]![j]!) / (2 * e);
        assert.ok(Math.abs(num - x) <= 1e-6 + 1e-4 * Math.abs(num), `H·v ${li}[${j}] ${x} vs ${num}`);
      }));
    }
  });
}

test('float64 forward matches the float32 model', async () => {
  const { referenceBackend: be } = await import('../../src/backend/reference.js');
  const model = net('conv:2-pool/4', [1, 4, 4], 3, 4), b = batch(16, 3, 3, 5);
  const y64 = outputsOf(scoreOps(model), b.x, b.n);
  const y32 = model.forward(be, Float32Array.from(b.x), b.n);
  y64.forEach((v, i) => assert.ok(Math.abs(v - y32[i]!) < 1e-5, `${v} vs ${y32[i]}`));
});

test('SNIP, GraSP and SynFlow follow their definitions', () => {
  const model = net('mlp:6-5-4-3', [6, 1, 1], 3, 6), b = batch(6, 3, 7, 7), ops = scoreOps(model);
  const g = lossGradient(ops, b.x, b.labels, b.n);
  const snip = snipScores(model, b);
  weightOps(ops).forEach((o, li) => o.w.forEach((w, j) => assert.equal(snip[li]![j], Math.abs(w * g[li]![j]!))));
  const gT = lossGradient(ops, b.x, b.labels, b.n, 200), hg = hessianVector(ops, b.x, b.labels, b.n, gT, 200);
  const grasp = graspScores(model, b);
  weightOps(ops).forEach((o, li) => o.w.forEach((w, j) => assert.equal(grasp[li]![j], -w * hg[li]![j]!)));
  // SynFlow on a linear chain is the product of absolute weights along every path: brute force for mlp:2-2-1.
  const small = net('mlp:2-2-1', [2, 1, 1], 1, 8);
  for (const l of small.weightLayers()) l.bias.fill(0);
  const [w1, w2] = small.weightLayers().map((l) => l.weights.toDense()) as [Float32Array, Float32Array];
  const s = synflowScores(small);
  for (let h = 0; h < 2; h++) {
    for (let i = 0; i < 2; i++) {
      // ∂R/∂w1[h,i] = |w2[h]| (input 1), score = |w1[h,i]|·|w2[h]|
      assert.ok(Math.abs(s[0]![h * 2 + i]! - Math.abs(w1[h * 2 + i]!) * Math.abs(w2[h]!)) < 1e-12);
    }
    assert.ok(Math.abs(s[1]![h]! - Math.abs(w2[h]!) * (Math.abs(w1[h * 2]!) + Math.abs(w1[h * 2 + 1]!))) < 1e-12);
  }
});

test('global selection keeps the top (or bottom) k over all layers, ties by layer then index', () => {
  const scores = [Float64Array.from([3, 1, 2, 2]), Float64Array.from([2, 5])];
  assert.deepEqual(keepTop(scores, 3).map((m) => [...m]), [[1, 0, 1, 0], [0, 1]]);
  assert.deepEqual(keepTop(scores, 2, true).map((m) => [...m]), [[0, 1, 1, 0], [0, 0]]);
  assert.deepEqual(keepTop(scores, 2, false, [Uint8Array.from([0, 1, 1, 1]), Uint8Array.from([1, 0])]).map((m) => [...m]), [[0, 0, 1, 1], [0, 0]]);
  // Random scores against a brute-force sort.
  const rng = new Rng(9);
  const big = [Float64Array.from({ length: 50 }, () => rng.next()), Float64Array.from({ length: 30 }, () => rng.next())];
  const all = big.flatMap((s, l) => [...s].map((v, j) => ({ v, l, j }))).sort((a, b) => b.v - a.v);
  const m = keepTop(big, 17);
  all.forEach((e, r) => assert.equal(m[e.l]![e.j], r < 17 ? 1 : 0));
});

test('SynFlow: iterative rounds reach the target density, each round nested in the previous', () => {
  const model = net('mlp:20-16-8-4', [20, 1, 1], 4, 10);
  const total = 20 * 16 + 16 * 8 + 8 * 4;
  const masks = synflowMasks(model, 0.1, 10);
  assert.equal(masks.reduce((s, m) => s + m.reduce((a, v) => a + v, 0), 0), Math.round(0.1 * total));
  const one = synflowMasks(model, 0.1, 1); // one round = one-shot top-k on the unpruned scores
  assert.deepEqual(one, keepTop(synflowScores(model), Math.round(0.1 * total)));
});
