// The training loop: it learns, it is deterministic by seed, it resumes exactly, masks hold, and
// dense-with-mask and sparse storage compute the same function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../src/backend/reference.js';
import { getBackend } from '../../src/backend/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { loadDataset } from '../../src/data/registry.js';
import { buildModel } from '../../src/models/build.js';
import { snapshot, type ModelState } from '../../src/models/state.js';
import { randomMask } from '../../src/prune/random.js';
import { train, type TrainerState } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

const data = loadDataset('synthetic:blobs?features=20&classes=4&train=1200&test=400', { seed: 1 });
const cfg = { optimizer: { kind: 'adam' as const, lr: 3e-3 }, batchSize: 20, iterations: 100, evalEvery: 25, seed: 3 };

export function sameState(a: ModelState, b: ModelState): boolean {
  return Object.keys(a).every((k) => Buffer.from(a[k]!.weight.buffer).equals(Buffer.from(b[k]!.weight.buffer))
    && Buffer.from(a[k]!.bias.buffer).equals(Buffer.from(b[k]!.bias.buffer)));
}

function trained(be: Backend, seed: number, density = 1, storage: 'auto' | 'dense' | 'sparse' = 'auto') {
  const model = buildModel('mlp:20-32-16-4', data.shape, data.classes, new Rng(seed), { storage });
  if (density < 1) {
    const r = new Rng(99);
    for (const l of model.weightLayers()) l.setWeights(l.weights.toDense(), randomMask(l.weights.rows * l.weights.cols, density, r));
  }
  const result = train(be, model, data, cfg);
  return { model, result };
}

test('learns a synthetic task', () => {
  const { result } = trained(referenceBackend, 1);
  assert.ok(result.final.testAccuracy > 0.9, `test accuracy ${result.final.testAccuracy}`);
  assert.equal(result.history.length, 5); // iterations 0, 25, 50, 75, 100
  assert.ok(result.history.some((r) => r.iteration === result.earlyStop.iteration));
});

for (const be of [referenceBackend, getBackend('native', { warn: () => {} })]) {
  test(`same seed gives bit-identical weights after 100 steps; another seed does not (${be.name})`, () => {
    for (const density of [1, 0.1]) {
      const a = snapshot(trained(be, 7, density).model), b = snapshot(trained(be, 7, density).model);
      assert.ok(sameState(a, b));
      assert.ok(!sameState(a, snapshot(trained(be, 8, density).model)));
    }
  });
}

test('a diverging run stops with a clear error instead of training on NaN', () => {
  const model = buildModel('mlp:20-32-16-4', data.shape, data.classes, new Rng(1));
  assert.throws(() => train(referenceBackend, model, data, { ...cfg, optimizer: { kind: 'sgd', lr: 1e30 } }), /training diverged: the loss became (NaN|Infinity)/);
});

test('resuming from a checkpoint reproduces the uninterrupted run exactly', () => {
  const full = trained(referenceBackend, 5);
  const model = buildModel('mlp:20-32-16-4', data.shape, data.classes, new Rng(5));
  let saved: TrainerState | undefined;
  train(referenceBackend, model, data, { ...cfg, iterations: 60 }, { checkpointEvery: 30, onCheckpoint: (s) => { if (s.iteration === 30) saved = s; } });
  assert.ok(saved);
  const fresh = buildModel('mlp:20-32-16-4', data.shape, data.classes, new Rng(1234)); // different init: resume must overwrite it
  const resumed = train(referenceBackend, fresh, data, cfg, { resume: saved });
  assert.ok(sameState(snapshot(full.model), snapshot(fresh)));
  assert.deepEqual(resumed.history.map((r) => r.testLoss), full.result.history.map((r) => r.testLoss));
});

test('pruned weights stay zero, and dense-with-mask equals sparse storage', () => {
  const dense = trained(referenceBackend, 2, 0.15, 'dense'), sparse = trained(referenceBackend, 2, 0.15, 'sparse');
  assert.equal(sparse.model.weightLayers()[0]!.weights.storage, 'sparse');
  assert.equal(dense.model.weightLayers()[0]!.weights.storage, 'dense');
  const d = snapshot(dense.model), s = snapshot(sparse.model);
  for (const name of Object.keys(d)) {
    const { weight, mask } = d[name]!;
    assert.deepEqual(mask, s[name]!.mask);
    weight.forEach((w, i) => { if (!mask[i]) assert.equal(w, 0); });
    // Same arithmetic up to summation order: the reference backend accumulates in float64 in both.
    weight.forEach((w, i) => assert.ok(Math.abs(w - s[name]!.weight[i]!) < 1e-4, `${name}[${i}] ${w} vs ${s[name]!.weight[i]}`));
  }
});
