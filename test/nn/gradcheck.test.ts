// Numerical gradient checks: every layer's backward (dense and sparse storage, convolution,
// pooling, flatten, ReLU, loss) against central differences of the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as be } from '../../src/backend/reference.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { MaxPool2d } from '../../src/nn/maxpool.js';
import { Flatten } from '../../src/nn/flatten.js';
import { ReLU } from '../../src/nn/relu.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { Layer } from '../../src/nn/layer.js';
import { Rng } from '../../src/util/rng.js';

function randomize(model: Sequential, rng: Rng, density: number): void {
  for (const l of model.weightLayers()) {
    const w = new Float32Array(l.weights.rows * l.weights.cols).map(() => rng.normal() * 0.5);
    const mask = density < 1 ? new Uint8Array(w.length).map(() => (rng.next() < density ? 1 : 0)) : null;
    l.setWeights(w, mask);
    l.bias.forEach((_, i) => { l.bias[i] = rng.normal() * 0.1; });
  }
}

/** Max relative error between analytic and central-difference gradients over sampled entries. */
function check(model: Sequential, rng: Rng, n: number): void {
  const x = new Float32Array(model.inFeatures * n).map(() => rng.normal());
  const labels = new Int32Array(n).map(() => rng.int(model.classes));
  model.lossAndGrad(be, x, labels, n);
  const masks = new Map(model.weightLayers().map((l) => [`${l.name}.weight`, l.weights.mask]));
  const params = model.params().map((p) => ({ name: p.name, value: p.value, grad: Float32Array.from(p.grad), mask: masks.get(p.name) ?? null }));
  const loss = (): number => model.evaluate(be, x, labels, n).loss / n;
  let checked = 0;
  for (const p of params) {
    const picks = Math.min(p.value.length, 12);
    for (let t = 0; t < picks; t++) {
      const i = rng.int(p.value.length);
      if (p.mask && !p.mask[i]) continue; // a pruned weight is not a parameter (its gradient is masked)
      const old = p.value[i]!, eps = 1e-3;
      p.value[i] = old + eps; const lp = loss();
      p.value[i] = old - eps; const lm = loss();
      p.value[i] = old;
      const num = (lp - lm) / (2 * eps), ana = p.grad[i]!;
      const err = Math.abs(num - ana) / Math.max(Math.abs(num) + Math.abs(ana), 1e-2);
      assert.ok(err < 1e-2, `${p.name}[${i}]: analytic ${ana} vs numerical ${num} (rel ${err})`);
      checked++;
    }
  }
  assert.ok(checked > 0);
}

for (const density of [1, 0.5, 0.1]) {
  test(`MLP gradients (storage ${density < 0.3 ? 'sparse' : 'dense'}, density ${density})`, () => {
    const rng = new Rng(11);
    const layers: Layer[] = [new Linear('fc1', 7, 9, 'relu'), new Linear('fc2', 9, 5, 'none'), new ReLU('relu', [5]), new Linear('out', 5, 3, 'none')];
    const model = new Sequential('test', layers);
    randomize(model, rng, density);
    if (density < 0.3) assert.equal(model.weightLayers()[0]!.weights.storage, 'sparse');
    check(model, rng, 4);
  });
}

for (const density of [1, 0.2]) {
  test(`conv → pool → flatten → linear gradients (density ${density})`, () => {
    const rng = new Rng(5);
    const conv1 = new Conv2d('conv1', { inChannels: 2, height: 6, width: 5, outChannels: 3, kernel: 3, stride: 1, pad: 1 }, 'relu');
    const conv2 = new Conv2d('conv2', { inChannels: 3, height: 6, width: 5, outChannels: 4, kernel: 3, stride: 2, pad: 0 }, 'relu');
    const pool = new MaxPool2d('pool', conv1.outShape as [number, number, number], 2);
    // conv1 (3×6×5) → pool (3×3×2) ; a second branch tests stride/no-pad shapes on its own model.
    const flat = new Flatten('flat', pool.outShape);
    const model = new Sequential('conv', [conv1, pool, flat, new Linear('out', 18, 4, 'none')]);
    randomize(model, rng, density);
    check(model, rng, 3);
    const model2 = new Sequential('conv-stride', [conv2, new Flatten('f', conv2.outShape), new Linear('out', 4 * 2 * 2, 3, 'none')]);
    randomize(model2, rng, density);
    check(model2, rng, 2);
  });
}
