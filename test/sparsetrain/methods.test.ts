// Every method (and every ablation it admits) runs on conv models and on arbitrary mlp:/conv: specs, reaching
// the target density; bad input to the library is a one-line UserError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/backend/index.js';
import { loadDataset } from '../../src/data/registry.js';
import type { Dataset } from '../../src/data/dataset.js';
import { ABLATIONS, METHODS, runSparseTraining, type SparseTrainOptions } from '../../src/sparsetrain/run.js';
import { UserError } from '../../src/util/errors.js';

const opts = (over: Partial<SparseTrainOptions>): SparseTrainOptions => ({
  model: 'conv:4-pool/16', method: 'static', density: 0.3, distribution: 'erk', ablation: 'none',
  optimizer: { kind: 'adam', lr: 3e-3, momentum: 0.9, weightDecay: 0 }, batchSize: 20, iterations: 90, evalEvery: 30, seed: 3,
  init: 'glorot-normal', zeta: 0.3, alpha: 0.3, deltaT: 10, endFraction: 0.75, scoreBatch: 40, ...over,
});

const cases: Array<[string, string]> = [
  ['conv:4-pool/16', 'synthetic:images'],
  ['conv:3-5-pool-6/12-8', 'synthetic:images'],
  ['mlp:20-7-5-4', 'synthetic:blobs?features=20&classes=4&train=1200&test=100'],
];

for (const [model, dataset] of cases) {
  test(`every method and ablation trains ${model} at the target density`, () => {
    const be = getBackend('reference'), data = loadDataset(dataset, { seed: 3 });
    for (const method of METHODS) {
      for (const ablation of ABLATIONS) {
        if (ablation === 'invert' && !['snip', 'grasp', 'synflow'].includes(method)) continue;
        const o = opts({ model, method, ablation, density: 0.25 });
        const { summary } = runSparseTraining(be, data, o);
        const where = `${model} ${method}/${ablation}`;
        assert.ok(Math.abs(summary.density - 0.25) < 0.02, `${where}: density ${summary.density}`);
        assert.ok(summary.earlyStop.testAccuracy >= 0 && summary.earlyStop.testAccuracy <= 1, where);
        assert.ok(Number.isFinite(summary.earlyStop.valLoss), where);
        if (method === 'rigl') assert.ok(summary.maskUpdates > 0 && summary.macs.maskUpdates > 0, where);
        if (method === 'set') assert.ok(summary.maskUpdates > 0, where);
        if (['snip', 'grasp', 'synflow'].includes(method)) assert.ok(summary.macs.scoring > 0, where);
      }
    }
  });
}

test('bad input: density outside (0, 1], a data method given no training data — one-line UserErrors', () => {
  const be = getBackend('reference'), data = loadDataset('synthetic:images', { seed: 3 });
  for (const density of [0, -0.5, 1.5, Number.NaN]) {
    assert.throws(() => runSparseTraining(be, data, opts({ density })), (e: unknown) => e instanceof UserError && /--density: expected a number in \(0, 1\]/.test(e.message) && !e.message.includes('\n'));
  }
  const empty: Dataset = { ...data, train: { ...data.train, count: 0, images: new Float32Array(0), labels: new Int32Array(0) } };
  for (const method of ['snip', 'grasp'] as const) {
    assert.throws(() => runSparseTraining(be, empty, opts({ method })), (e: unknown) => e instanceof UserError && new RegExp(`--method ${method} scores weights on training data`).test(e.message) && !e.message.includes('\n'));
  }
  assert.throws(() => runSparseTraining(be, data, opts({ method: 'rigl', ablation: 'invert' })), (e: unknown) => e instanceof UserError && /--ablation invert needs a scoring method/.test(e.message));
});
