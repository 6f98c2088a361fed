// winnow's SNIP, GraSP and SynFlow scores and one RigL update against the PyTorch peer (bench/pytorch_sparse.py),
// on the weights, biases, masks and batch the peer drew and stored in test/fixtures/sparse-peer/: scores agree
// to 1e-5 relative (both float64), the iterative SynFlow masks and the RigL masks are identical, and the dense
// gradient winnow's sparse layers write on request matches PyTorch's gradient of the masked weights (float32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../src/backend/reference.js';
import { getBackend } from '../../src/backend/index.js';
import { buildModel } from '../../src/models/build.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { rigLLayerUpdate, rigLSparseUpdate, layerMask } from '../../src/sparsetrain/dynamic.js';
import { graspScores, snipScores, synflowMasks, synflowScores } from '../../src/sparsetrain/scores.js';
import { Rng } from '../../src/util/rng.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/sparse-peer/', import.meta.url));

interface Fixture {
  spec: string; shape: [number, number, number]; classes: number; n: number; layers: string[];
  weights: number[][]; biases: number[][]; x: number[]; labels: number[];
  snip: number[][]; grasp: number[][]; synflow: number[][]; synflowDensity: number; synflowRounds: number; synflowMasks: number[][];
  rigl: { fraction: number; masks: number[][]; grad: number[][]; newMasks: number[][] };
}

function load(name: string): Fixture { return JSON.parse(readFileSync(DIR + name + '.json', 'utf8')) as Fixture; }

function model(f: Fixture, masks: number[][] | null, sparseThreshold = 0): Sequential {
  const m = buildModel(f.spec, f.shape, f.classes, new Rng(0), { sparseThreshold });
  m.weightLayers().forEach((l, i) => {
    assert.equal(l.name, f.layers[i]);
    l.setWeights(Float32Array.from(f.weights[i]!), masks ? Uint8Array.from(masks[i]!) : null);
    l.bias.set(f.biases[i]!);
  });
  return m;
}

/** Batch-last [features × n] from the peer's row-major [n × features]. */
function batchLast(f: Fixture): Float64Array {
  const feat = f.shape[0] * f.shape[1] * f.shape[2], out = new Float64Array(feat * f.n);
  for (let b = 0; b < f.n; b++) for (let j = 0; j < feat; j++) out[j * f.n + b] = f.x[b * feat + j]!;
  return out;
}

function close(actual: Float64Array[], expected: number[][], what: string): void {
  actual.forEach((a, l) => {
    const scale = Math.max(...expected[l]!.map(Math.abs));
    a.forEach((v, j) => {
      const e = expected[l]![j]!;
      assert.ok(Math.abs(v - e) <= 1e-5 * Math.max(Math.abs(e), 1e-3 * scale), `${what} layer ${l} [${j}]: ${v} vs PyTorch ${e}`);
    });
  });
}

for (const name of ['mlp', 'conv']) {
  test(`scores agree with PyTorch (${name})`, () => {
    const f = load(name), m = model(f, null);
    const batch = { x: batchLast(f), labels: Int32Array.from(f.labels), n: f.n };
    close(snipScores(m, batch), f.snip, 'SNIP');
    close(graspScores(m, batch), f.grasp, 'GraSP');
    close(synflowScores(m), f.synflow, 'SynFlow');
    assert.deepEqual(synflowMasks(m, f.synflowDensity, f.synflowRounds).map((x) => [...x]), f.synflowMasks);
  });

  test(`one RigL update gives PyTorch's masks (${name})`, () => {
    const f = load(name);
    for (const be of [referenceBackend, getBackend('native', { warn: () => undefined })]) {
      const m = model(f, f.rigl.masks, 1.01); // sparse storage in every layer
      const x = Float32Array.from(batchLast(f));
      for (const l of m.weightLayers()) l.denseGradOut = new Float32Array(l.weights.rows * l.weights.cols);
      m.lossAndGrad(be, x, Int32Array.from(f.labels), f.n);
      m.weightLayers().forEach((l, i) => {
        assert.equal(l.weights.storage, 'sparse');
        const g = l.denseGradOut!, e = f.rigl.grad[i]!, scale = Math.max(...e.map(Math.abs));
        g.forEach((v, j) => assert.ok(Math.abs(v - e[j]!) <= 1e-5 * scale, `${be.name} ${l.name} grad[${j}] ${v} vs ${e[j]}`));
        const next = rigLLayerUpdate(layerMask(l), g, f.rigl.fraction).mask;
        const mask = new Array<number>(g.length).fill(0);
        for (const p of next.positions) mask[p] = 1;
        assert.deepEqual(mask, f.rigl.newMasks[i], `${be.name} ${l.name}: RigL mask differs from PyTorch's`);
        // The in-place update on the layer's CSR storage (what sparse-train runs) gives the same mask.
        rigLSparseUpdate(l.weights, g, f.rigl.fraction);
        assert.deepEqual([...l.weights.toMask()], f.rigl.newMasks[i], `${be.name} ${l.name}: in-place RigL mask differs from PyTorch's`);
      });
    }
  });
}
