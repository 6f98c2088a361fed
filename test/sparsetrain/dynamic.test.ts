// SET and RigL mask updates against brute-force references, the optimizer-state move, the dense gradient the
// layers write on request (against the dense layer's own gradient), and whole runs: every method trains, the
// density holds, mask updates happen when due, and the same seed gives the same result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as be } from '../../src/backend/reference.js';
import { loadDataset } from '../../src/data/registry.js';
import { buildModel } from '../../src/models/build.js';
import { rigLDropFraction, rigLLayerUpdate, remapOptimizerState, setLayerUpdate, type LayerMask } from '../../src/sparsetrain/dynamic.js';
import { METHODS, runSparseTraining, type SparseTrainOptions } from '../../src/sparsetrain/run.js';
import { Rng } from '../../src/util/rng.js';

function randomLayer(size: number, active: number, rng: Rng): LayerMask {
  const positions = Int32Array.from(rng.permutation(size).subarray(0, active)).sort();
  return { positions, values: Float32Array.from(positions, () => rng.normal()) };
}

test('RigL update: drops the floor(f·active) smallest |w|, grows the largest |grad| elsewhere at zero', () => {
  const rng = new Rng(1);
  for (let trial = 0; trial < 20; trial++) {
    const size = 1 + rng.int(200), active = 1 + rng.int(size), f = rng.next() * 0.5;
    const m = randomLayer(size, active, rng);
    // Gradients with ties (rounded) to exercise the index tie-break.
    const grad = Float32Array.from({ length: size }, () => Math.round(rng.normal() * 4) / 4);
    const { mask, grown } = rigLLayerUpdate(m, grad, f);
    const k = active === size ? 0 : Math.floor(f * active);
    // Brute force.
    const byMag = [...m.positions.keys()].sort((a, b) => Math.abs(m.values[a]!) - Math.abs(m.values[b]!) || a - b);
    const dropped = new Set(byMag.slice(0, k).map((i) => m.positions[i]!));
    const keptAfterDrop = new Set([...m.positions].filter((p) => !dropped.has(p)));
    const cand = [...Array(size).keys()].filter((p) => !keptAfterDrop.has(p)).sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!) || a - b);
    const expectGrown = new Set(cand.slice(0, k));
    assert.deepEqual([...grown].sort((a, b) => a - b), [...expectGrown].sort((a, b) => a - b));
    assert.equal(mask.positions.length, active);
    const expectPositions = [...new Set([...keptAfterDrop, ...expectGrown])].sort((a, b) => a - b);
    assert.deepEqual([...mask.positions], expectPositions);
    mask.positions.forEach((p, j) => {
      const old = [...m.positions].indexOf(p);
      assert.equal(mask.values[j], expectGrown.has(p) ? 0 : m.values[old]);
    });
  }
  assert.equal(rigLDropFraction(0, 100, 0.3), 0.3);
  assert.ok(Math.abs(rigLDropFraction(50, 100, 0.3) - 0.15) < 1e-15);
  assert.ok(Math.abs(rigLDropFraction(100, 100, 0.3)) < 1e-15);
});

test('growth selection: the k largest |grad| among free positions, ties by index, on awkward inputs', async () => {
  const { topGrowthPositions } = await import('../../src/sparsetrain/dynamic.js');
  const rng = new Rng(11);
  for (let trial = 0; trial < 1500; trial++) {
    const size = 1 + rng.int(trial % 10 === 0 ? 3000 : 300), kind = trial % 5;
    // rounded normals (ties, zeros), ascending or descending magnitudes (every position pushed / none), ±0 and ±Infinity
    const grad = Float32Array.from({ length: size }, (_, p) => kind === 0 ? Math.round(rng.normal() * 2) / 2
      : kind === 1 ? p * (rng.next() < 0.5 ? -1 : 1) : kind === 2 ? size - p : kind === 3 ? (rng.next() < 0.3 ? -0 : rng.next() < 0.05 ? -Infinity : Math.round(rng.normal())) : rng.normal());
    const kept = Uint8Array.from({ length: size }, () => (rng.next() < 0.3 ? 1 : 0));
    const free = [...Array(size).keys()].filter((p) => !kept[p]);
    const k = rng.int(free.length + 2);
    const want = free.sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!) || a - b).slice(0, k).sort((a, b) => a - b);
    assert.deepEqual([...topGrowthPositions(grad, kept, k)], want, `trial ${trial} size ${size} k ${k}`);
  }
});

test('SET update: removes ζ of each sign closest to zero, regrows as many at empty positions', () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 20; trial++) {
    const size = 2 + rng.int(300), active = 1 + rng.int(size - 1);
    const m = randomLayer(size, active, rng);
    const { mask, grown } = setLayerUpdate(m, size, 0.3, new Rng(trial), (k) => new Float32Array(k).fill(7));
    const neg = [...m.values].filter((v) => v < 0).sort((a, b) => b - a), pos = [...m.values].filter((v) => v >= 0).sort((a, b) => a - b);
    const removed = new Set([...neg.slice(0, Math.floor(0.3 * neg.length)), ...pos.slice(0, Math.floor(0.3 * pos.length))]);
    assert.equal(grown.size, removed.size);
    assert.equal(mask.positions.length, active);
    const survivors = [...m.values].filter((v) => !removed.has(v));
    const newVals = [...mask.values].filter((_, j) => !grown.has(mask.positions[j]!));
    assert.deepEqual(newVals.sort(), survivors.sort());
    mask.positions.forEach((p, j) => { if (grown.has(p)) assert.equal(mask.values[j], 7); });
  }
});

test('optimizer state follows kept weights to their new slots; grown weights start at zero', () => {
  const before = [{ storage: 'sparse' as const, mask: { positions: Int32Array.from([1, 4, 6]), values: new Float32Array(3) } }];
  const after = [{ storage: 'sparse' as const, size: 8, mask: { positions: Int32Array.from([0, 4, 6]), values: new Float32Array(3) }, grown: new Set([0]) }];
  // Adam: two buffers per parameter, weight then bias.
  const state = { step: 5, buffers: [Float32Array.from([10, 40, 60]), Float32Array.from([11, 41, 61]), Float32Array.from([1]), Float32Array.from([2])] };
  const out = remapOptimizerState(state, before, after);
  assert.equal(out.step, 5);
  assert.deepEqual([...out.buffers[0]!], [0, 40, 60]);
  assert.deepEqual([...out.buffers[1]!], [0, 41, 61]);
  assert.deepEqual([...out.buffers[2]!], [1]);
  assert.deepEqual([...out.buffers[3]!], [2]);
  // To dense storage: every position has a slot.
  const dense = remapOptimizerState({ step: 1, buffers: [Float32Array.from([10, 40, 60]), new Float32Array(1)] }, before,
    [{ storage: 'dense', size: 8, mask: { positions: Int32Array.from([0, 4, 6]), values: new Float32Array(3) }, grown: new Set([0]) }]);
  assert.deepEqual([...dense.buffers[0]!], [0, 0, 0, 0, 40, 0, 60, 0]);
});

test('dense gradient on request equals the dense layer gradient, for sparse fc and conv storage', () => {
  for (const spec of ['mlp:12-7-3', 'conv:3-pool/5']) {
    const shape: [number, number, number] = spec.startsWith('mlp') ? [12, 1, 1] : [1, 4, 3];
    const dense = buildModel(spec, shape, 3, new Rng(3), { sparseThreshold: 0 });
    const sparse = buildModel(spec, shape, 3, new Rng(3), { sparseThreshold: 1.01 });
    const rng = new Rng(4);
    sparse.weightLayers().forEach((l, i) => {
      const d = dense.weightLayers()[i]!;
      const mask = Uint8Array.from({ length: l.weights.rows * l.weights.cols }, () => (rng.next() < 0.4 ? 1 : 0));
      l.setWeights(d.weights.toDense(), mask);
      d.setWeights(l.weights.toDense(), null);
      l.denseGradOut = new Float32Array(mask.length);
    });
    const n = 4, x = Float32Array.from({ length: 12 * n }, () => rng.normal()), labels = Int32Array.from({ length: n }, () => rng.int(3));
    dense.lossAndGrad(be, x, labels, n); sparse.lossAndGrad(be, x, labels, n);
    sparse.weightLayers().forEach((l, i) => {
      assert.equal(l.weights.storage, 'sparse');
      const g = dense.weightLayers()[i]!.weights.grad;
      l.denseGradOut!.forEach((v, j) => assert.ok(Math.abs(v - g[j]!) < 1e-5, `${spec} ${l.name}[${j}] ${v} vs ${g[j]}`));
    });
  }
});

const data = loadDataset('synthetic:blobs?features=20&classes=4&train=600&test=200', { seed: 1 });
const base: SparseTrainOptions = {
  model: 'mlp:20-32-16-4', method: 'static', density: 0.2, distribution: 'erk', ablation: 'none',
  optimizer: { kind: 'adam', lr: 3e-3 }, batchSize: 20, iterations: 120, evalEvery: 30, seed: 5, init: 'glorot-normal',
  zeta: 0.3, alpha: 0.3, deltaT: 20, endFraction: 0.75, scoreBatch: 100,
};

test('every method trains at the target density; RigL and SET update when due; same seed, same run', () => {
  const total = 20 * 32 + 32 * 16 + 16 * 4;
  for (const method of METHODS) {
    const a = runSparseTraining(be, data, { ...base, method }).summary;
    assert.ok(Math.abs(a.density * total - 0.2 * total) <= 3, `${method}: density ${a.density}`);
    assert.ok(a.final.testAccuracy > 0.5, `${method}: accuracy ${a.final.testAccuracy}`);
    // RigL: updates at 20, 40, 60, 80 (T_end = 90); SET: after every epoch that ends before the last step.
    const perEpoch = Math.floor(data.train.count / base.batchSize);
    assert.equal(a.maskUpdates, method === 'rigl' ? 4 : method === 'set' ? Math.floor((base.iterations - 1) / perEpoch) : 0, method);
    assert.equal(a.macs.maskUpdates > 0, method === 'rigl');
    const b = runSparseTraining(be, data, { ...base, method }).summary;
    assert.deepEqual({ ...b, seconds: null }, { ...a, seconds: null });
  }
});

test('ablations: shuffle keeps per-layer counts, reinit keeps the mask, invert only for scores', () => {
  const a = runSparseTraining(be, data, { ...base, method: 'snip', iterations: 1, evalEvery: 1 });
  const s = runSparseTraining(be, data, { ...base, method: 'snip', ablation: 'shuffle', iterations: 1, evalEvery: 1 });
  a.model.weightLayers().forEach((l, i) => assert.equal(s.model.weightLayers()[i]!.weights.nnz, l.weights.nnz));
  const r = runSparseTraining(be, data, { ...base, method: 'snip', ablation: 'reinit', iterations: 1, evalEvery: 1 });
  a.model.weightLayers().forEach((l, i) => assert.deepEqual(r.model.weightLayers()[i]!.weights.toMask(), l.weights.toMask()));
  assert.throws(() => runSparseTraining(be, data, { ...base, method: 'rigl', ablation: 'invert' }), /--ablation invert needs a scoring method/);
  assert.throws(() => runSparseTraining(be, data, { ...base, density: 0 }), /--density: expected a number in \(0, 1\]/);
});

test('quickselect returns the value of every rank, with ties and awkward sizes', async () => {
  const { kthSmallest } = await import('../../src/sparsetrain/dynamic.js');
  const rng = new Rng(11);
  for (const n of [1, 2, 3, 7, 100, 1001]) {
    for (const levels of [2, 1000]) {
      const a = Float32Array.from({ length: n }, () => rng.int(levels));
      const sorted = Float32Array.from(a).sort();
      for (let r = 0; r < n; r += Math.max(1, Math.floor(n / 13))) assert.equal(kthSmallest(Float32Array.from(a), r), sorted[r]);
      assert.equal(kthSmallest(Float32Array.from(a), n - 1), sorted[n - 1]);
    }
  }
});

test('every method runs on a conv model (conv + pool + fc), at the target density', () => {
  const images = loadDataset('synthetic:images?train=200&test=50', { seed: 2 });
  for (const method of METHODS) {
    const r = runSparseTraining(be, images, { ...base, model: 'conv:4-pool/8', method, density: 0.3, iterations: 30, evalEvery: 30, deltaT: 10, scoreBatch: 40 }).summary;
    const total = r.layers.reduce((s, l) => s + l.shape[0] * l.shape[1], 0);
    assert.ok(Math.abs(r.density * total - 0.3 * total) <= r.layers.length, `${method}: density ${r.density}`);
    assert.equal(r.maskUpdates > 0, method === 'rigl' || method === 'set', method);
  }
});

test('RigL in place on sparse storage: the same masks, values and optimizer slots as the mask-based update', async () => {
  const { WeightMatrix } = await import('../../src/nn/weights.js');
  const { rigLSparseUpdate, slotMap } = await import('../../src/sparsetrain/dynamic.js');
  const rng = new Rng(3);
  for (let trial = 0; trial < 40; trial++) {
    const rows = 1 + rng.int(12), cols = 1 + rng.int(15), size = rows * cols;
    const active = 1 + rng.int(size), f = trial % 7 === 0 ? 0 : rng.next() * 0.6;
    const m = randomLayer(size, active, rng);
    if (trial % 3 === 0) m.values.forEach((v, j) => { m.values[j] = Math.round(v * 2) / 2; });  // ties in |w| (and zeros)
    const grad = Float32Array.from({ length: size }, () => Math.round(rng.normal() * 4) / 4);
    const dense = new Float32Array(size), mask = new Uint8Array(size);
    m.positions.forEach((p, j) => { dense[p] = m.values[j]!; mask[p] = 1; });
    const w = new WeightMatrix(rows, cols, dense, mask, 'sparse');
    const want = rigLLayerUpdate(m, grad, f);
    const from = rigLSparseUpdate(w, grad, f);
    const what = `trial ${trial} ${rows}×${cols} active ${active} f ${f.toFixed(3)}`;
    assert.equal(w.nnz, active, what);
    const wantMask = new Uint8Array(size), wantDense = new Float32Array(size);
    want.mask.positions.forEach((p, j) => { wantMask[p] = 1; wantDense[p] = want.mask.values[j]!; });
    assert.deepEqual([...w.toMask()], [...wantMask], `mask ${what}`);
    assert.deepEqual([...w.toDense()], [...wantDense], `values ${what}`);
    if (from === null) { assert.equal(want.grown.size, 0, what); continue; }
    assert.deepEqual([...from], [...slotMap({ storage: 'sparse', mask: m }, { storage: 'sparse', size, ...want })], `slots ${what}`);
    // The CSC index is rebuilt: the layer computes what a freshly built one does.
    const fresh = new WeightMatrix(rows, cols, wantDense, wantMask, 'sparse');
    const n = 3, x = Float32Array.from({ length: cols * n }, () => rng.normal()), dy = Float32Array.from({ length: rows * n }, () => rng.normal());
    const dxA = new Float32Array(cols * n), dxB = new Float32Array(cols * n);
    w.backward(be, dy, x, n, dxA); fresh.backward(be, dy, x, n, dxB);
    assert.deepEqual([...dxA], [...dxB], `dx ${what}`);
    assert.deepEqual([...w.grad], [...fresh.grad], `grad ${what}`);
  }
});

test('RigL in place on dense storage with a mask: the same masks, values and optimizer slots as the mask-based update', async () => {
  const { WeightMatrix } = await import('../../src/nn/weights.js');
  const { rigLDenseUpdate, slotMap } = await import('../../src/sparsetrain/dynamic.js');
  const rng = new Rng(5);
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + rng.int(12), cols = 1 + rng.int(15), size = rows * cols;
    const active = 1 + rng.int(size), f = trial % 7 === 0 ? 0 : rng.next() * 0.6;
    const m = randomLayer(size, active, rng);
    if (trial % 3 === 0) m.values.forEach((v, j) => { m.values[j] = Math.round(v * 2) / 2; });  // ties in |w| (and zeros)
    const grad = Float32Array.from({ length: size }, () => Math.round(rng.normal() * 4) / 4);
    if (trial % 5 === 1) grad[rng.int(size)] = NaN;
    const dense = new Float32Array(size), mask = new Uint8Array(size);
    m.positions.forEach((p, j) => { dense[p] = m.values[j]!; mask[p] = 1; });
    const w = new WeightMatrix(rows, cols, dense, mask, 'dense');
    const want = rigLLayerUpdate(m, grad, f);
    const from = rigLDenseUpdate(w, grad, f);
    const what = `trial ${trial} ${rows}×${cols} active ${active} f ${f.toFixed(3)}`;
    const wantMask = new Uint8Array(size), wantDense = new Float32Array(size);
    want.mask.positions.forEach((p, j) => { wantMask[p] = 1; wantDense[p] = want.mask.values[j]!; });
    assert.deepEqual([...w.toMask()], [...wantMask], `mask ${what}`);
    assert.deepEqual([...w.toDense()], [...wantDense], `values ${what}`);
    const slots = slotMap({ storage: 'dense', mask: m }, { storage: 'dense', size, ...want });
    // null (nothing changed): the state stays, as the identity map on kept positions leaves it (masked slots hold zeros)
    if (from === null) { assert.equal(want.grown.size, 0, what); assert.ok(slots.every((o, p) => o === p || (o === -1 && !mask[p])), what); continue; }
    assert.deepEqual([...from], [...slots], `slots ${what}`);
  }
});

test('updateSparsity refuses a growth that does not balance the drop or lands on a kept weight', async () => {
  const { WeightMatrix } = await import('../../src/nn/weights.js');
  const w = new WeightMatrix(2, 3, Float32Array.from([1, 0, 2, 0, 3, 0]), Uint8Array.from([1, 0, 1, 0, 1, 0]), 'sparse');
  assert.throws(() => w.updateSparsity(Uint8Array.from([1, 0, 0]), new Int32Array(0)), /1 dropped but 0 to grow/);
  assert.throws(() => w.updateSparsity(Uint8Array.from([1, 0, 0]), Int32Array.from([2])), /kept already/);
  assert.throws(() => w.updateSparsity(Uint8Array.from([1, 0, 0]), Int32Array.from([6])), /outside/);
  const from = w.updateSparsity(Uint8Array.from([0, 1, 0]), Int32Array.from([5]));
  assert.deepEqual([...from], [0, 2, -1]);
  assert.deepEqual([...w.toDense()], [1, 0, 0, 0, 3, 0]);
  assert.deepEqual([...w.toMask()], [1, 0, 0, 0, 1, 1]);
});

test('RigL in place survives NaN weights and gradients (a diverged run): the count of weights holds', async () => {
  const { WeightMatrix } = await import('../../src/nn/weights.js');
  const { rigLSparseUpdate } = await import('../../src/sparsetrain/dynamic.js');
  const rng = new Rng(4);
  const rows = 6, cols = 9, size = rows * cols;
  const m = randomLayer(size, 20, rng);
  const dense = new Float32Array(size), mask = new Uint8Array(size);
  m.positions.forEach((p, j) => { dense[p] = j % 3 === 0 ? NaN : m.values[j]!; mask[p] = 1; });
  const w = new WeightMatrix(rows, cols, dense, mask, 'sparse');
  const grad = Float32Array.from({ length: size }, (_, i) => (i % 4 === 0 ? NaN : rng.normal()));
  rigLSparseUpdate(w, grad, 0.5);
  assert.equal(w.nnz, 20);
  assert.equal(w.toMask().reduce((s, v) => s + v, 0), 20);
});
