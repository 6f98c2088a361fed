// The trainer lays a batch out with its rows padded to whole vectors (Sequential.inputStride, 64-byte aligned) so
// that a sparse first layer reads it in place instead of copying it: loss and every gradient must equal the packed
// layout's bit for bit, on both backends, dense and sparse; a model whose first layer cannot take a stride says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../src/backend/reference.js';
import { getBackend } from '../../src/backend/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { buildModel } from '../../src/models/build.js';
import { randomMask } from '../../src/prune/random.js';
import { Rng } from '../../src/util/rng.js';
import { Linear } from '../../src/nn/linear.js';
import { cscOf } from '../backend/helpers.js';

const native = getBackend('native', { warn: () => {} });

function lossAndGrads(be: Backend, spec: string, density: number, x: Float32Array, labels: Int32Array, n: number, ldx: number): Float32Array[] {
  const rng = new Rng(9);
  const model = buildModel(spec, [1, 1, 37], 5, rng, { sparseThreshold: 0.3 });
  for (const l of model.weightLayers()) l.setWeights(l.weights.toDense(), density < 1 ? randomMask(l.weights.rows * l.weights.cols, density, rng) : null);
  const loss = model.lossAndGrad(be, x, labels, n, ldx);
  return [Float32Array.of(loss), ...model.params().map((p) => Float32Array.from(p.grad))];
}

test('a padded input stride gives the same loss and gradients bit for bit (dense and sparse first layer, both backends)', () => {
  const rng = new Rng(17);
  for (const be of [referenceBackend, native]) {
    for (const density of [1, 0.2, 0.05]) {
      for (const n of [1, 13, 60]) {
        const model = buildModel('mlp:37-23-5', [1, 1, 37], 5, new Rng(1));
        const ld = model.inputStride(n);
        assert.equal(ld, Math.ceil(n / 16) * 16);
        const x = Float32Array.from({ length: 37 * n }, () => rng.normal());
        const labels = Int32Array.from({ length: n }, () => rng.int(5));
        const padded = be.allocActivations ? be.allocActivations(37 * ld) : new Float32Array(37 * ld);
        padded.fill(NaN);  // padding lanes must not reach any result
        for (let f = 0; f < 37; f++) padded.set(x.subarray(f * n, f * n + n), f * ld);
        const want = lossAndGrads(be, 'mlp:37-23-5', density, x, labels, n, n);
        const got = lossAndGrads(be, 'mlp:37-23-5', density, padded, labels, n, ld);
        got.forEach((g, k) => assert.deepEqual(g, want[k], `${be.name} density ${density} n ${n} array ${k}`));
      }
    }
  }
});

test('a conv first layer keeps the packed stride and refuses another', () => {
  const model = buildModel('conv:4-pool/16', [1, 8, 8], 3, new Rng(2));
  assert.equal(model.inputStride(60), 60);
  assert.throws(() => model.forward(referenceBackend, new Float32Array(64 * 64), 60, 64), /input stride 64 ≠ 60 needs a Linear first layer/);
});

// A sparse ReLU layer that returns dx gets its output gradient through reluBackwardTo, rows padded and aligned, so that
// sparseBackward reads it in place: the weight, bias and input gradients must equal the packed path's (reluBackward in
// place, rowSum, sparseBackward on the packed dY) bit for bit, on both backends.
test('a sparse ReLU layer\'s padded output gradient gives the packed path\'s gradients bit for bit', () => {
  const rng = new Rng(23);
  for (const be of [referenceBackend, native]) {
    for (const [rows, cols, n] of [[23, 37, 60], [19, 5, 13], [40, 70, 1], [8, 9, 130]] as const) {
      const layer = new Linear('fc', cols, rows, 'relu', { sparseThreshold: 0.3 });
      layer.setWeights(Float32Array.from({ length: rows * cols }, () => rng.normal()), randomMask(rows * cols, 0.15, rng));
      for (let r = 0; r < rows; r++) layer.bias[r] = rng.normal();
      assert.equal(layer.weights.storage, 'sparse');
      const x = Float32Array.from({ length: cols * n }, () => rng.normal());
      const dy = Float32Array.from({ length: rows * n }, () => rng.normal());
      const y = Float32Array.from(layer.forward(be, x, n));
      const dx = Float32Array.from(layer.backward(be, dy.slice(), n, true)!);
      assert.equal(layer.weights.order, 'csc');
      const grad = layer.weights.layout!.toCanonical(layer.weights.grad), biasGrad = Float32Array.from(layer.biasGrad);  // in CSR order
      // the packed path, kernel by kernel
      const csr = layer.weights.csr()!, csc = cscOf({ rows, cols, ...csr });
      const g = dy.slice(), wantDx = new Float32Array(cols * n), wantGrad = new Float32Array(csr.values.length), wantBias = new Float32Array(rows);
      be.reluBackward(y, g, rows * n);
      be.rowSum(g, rows, n, wantBias);
      be.sparseBackward(rows, cols, csc.colPtr, csc.rowIdx, csc.perm, csr.values, g, x, n, 0, wantDx, wantGrad);
      const what = `${be.name} ${rows}×${cols} n=${n}`;
      assert.deepEqual(dx, wantDx, `dx ${what}`);
      assert.deepEqual(grad, wantGrad, `weight gradient ${what}`);
      assert.deepEqual(biasGrad, wantBias, `bias gradient ${what}`);
    }
  }
});
