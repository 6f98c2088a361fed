// Prepared inference (one backend call per forward) against the layer-by-layer forward and across
// backends: dense and sparse layers, batch 1 (the matrix-vector kernels), odd and larger batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../src/backend/reference.js';
import { getBackend } from '../../src/backend/index.js';
import { buildModel } from '../../src/models/build.js';
import { randomMask } from '../../src/prune/random.js';
import { Rng } from '../../src/util/rng.js';

const native = getBackend('native', { warn: () => {} });

test('prepared inference equals the layer-by-layer forward (reference and native, every ISA)', () => {
  const isas = 'supportedIsas' in native ? (native as unknown as { supportedIsas(): string[] }).supportedIsas() : [];
  const rng = new Rng(4);
  for (const spec of ['mlp:37-50-19-5', 'mlp:784-300-100-10', 'mlp:3-1-2']) {
    const [inF, ...rest] = spec.slice(4).split('-').map(Number);
    const classes = rest[rest.length - 1]!;
    for (const density of [1, 0.5, 0.2, 0.02]) {
      const model = buildModel(spec, [1, 1, inF!], classes, rng);
      for (const l of model.weightLayers()) l.setWeights(l.weights.toDense(), density < 1 ? randomMask(l.weights.rows * l.weights.cols, density, rng) : null);
      for (const n of [1, 2, 7, 64]) {
        const x = Float32Array.from({ length: inF! * n }, () => rng.normal());
        const expected = Float32Array.from(model.forward(referenceBackend, x, n).subarray(0, classes * n));
        const scale = Math.max(1, ...expected.map(Math.abs));
        const check = (got: Float32Array, what: string): void => {
          got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-4 * scale, `${what} ${spec} d=${density} n=${n} [${i}]: ${v} vs ${expected[i]}`));
        };
        const out = new Float32Array(classes * n);
        model.prepareInference(referenceBackend).forward(x, n, out);
        check(out, 'reference');
        for (const isa of isas) {
          (native as unknown as { setIsa(i: string): void }).setIsa(isa);
          const o2 = new Float32Array(classes * n);
          model.prepareInference(native).forward(x, n, o2);
          check(o2, `native ${isa}`);
        }
        if (isas.length) (native as unknown as { setIsa(i: string): void }).setIsa(isas[0]!);
      }
    }
  }
});

test('native prepared nets reject bad layers and buffers with clear errors', { skip: native.name !== 'native' ? 'native backend unavailable' : false }, () => {
  const l = { rows: 2, cols: 3, relu: true, values: new Float32Array(6), bias: new Float32Array(2) };
  assert.throws(() => native.prepareInference([l, { ...l, cols: 5 }]), /does not match the previous layer's 2 rows/);
  assert.throws(() => native.prepareInference([{ ...l, rowPtr: Int32Array.from([0, 1, 2]), colIdx: Int32Array.from([0, 9]) }]), /colIdx\[1\] = 9 is outside \[0, 3\)/);
  const net = native.prepareInference([l]);
  assert.throws(() => net.forward(new Float32Array(2), 1, new Float32Array(2)), /x has 2 elements, needs at least 3/);
});
