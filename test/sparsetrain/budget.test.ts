// Layer budgets: ERK against its definition (proportional to the ERK raw probability, dense where it would
// exceed 1, the total meeting the target), and uniform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erkRaw, layerCounts, layerDensities, layerSize, type BudgetLayer } from '../../src/sparsetrain/budget.js';

const lenet: BudgetLayer[] = [
  { name: 'fc1', outChannels: 300, inChannels: 784, kernel: 1 },
  { name: 'fc2', outChannels: 100, inChannels: 300, kernel: 1 },
  { name: 'out', outChannels: 10, inChannels: 100, kernel: 1 },
];

test('ERK: densities proportional to (n_in+n_out)/(n_in·n_out), total at the target', () => {
  for (const target of [0.2, 0.05, 0.01]) {
    const d = layerDensities(lenet, target, 'erk');
    const total = lenet.reduce((s, l) => s + layerSize(l), 0);
    const kept = lenet.reduce((s, l, i) => s + d[i]! * layerSize(l), 0);
    assert.ok(Math.abs(kept / total - target) < 1e-12);
    const sparse = lenet.map((l, i) => [l, d[i]!] as const).filter(([, v]) => v < 1);
    const ratio = sparse[0]![1] / erkRaw(sparse[0]![0]);
    for (const [l, v] of sparse) assert.ok(Math.abs(v / erkRaw(l) - ratio) < 1e-9 * ratio);
    d.forEach((v) => assert.ok(v > 0 && v <= 1));
  }
  // At 20% the 10×100 output layer would need more than 100%: it is dense and the others share the rest.
  const d = layerDensities(lenet, 0.2, 'erk');
  assert.equal(d[2], 1);
  // Conv kernels count their spatial dimensions.
  assert.equal(erkRaw({ name: 'c', outChannels: 64, inChannels: 32, kernel: 3 }), (64 + 32 + 3 + 3) / (64 * 32 * 9));
});

test('uniform keeps every layer at the target; counts round and keep at least one weight', () => {
  assert.deepEqual(layerDensities(lenet, 0.05, 'uniform'), [0.05, 0.05, 0.05]);
  assert.deepEqual(layerCounts(lenet, [0.05, 0.05, 0.0001]), [11760, 1500, 1]);
  assert.throws(() => layerDensities(lenet, 0, 'erk'), /--density: expected a number in \(0, 1\]/);
  assert.throws(() => layerDensities(lenet, 1.5, 'uniform'), /--density/);
});
