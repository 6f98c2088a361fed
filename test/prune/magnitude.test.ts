// Magnitude pruning against brute-force expectations: counts per round, which weights go,
// global ranking across layers, one-shot densities, and random masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptByMagnitude, oneShotDensities, pruneGlobal, pruneLayerwise, pruneToDensity, type PrunableLayer } from '../../src/prune/magnitude.js';
import { randomMask } from '../../src/prune/random.js';
import { Rng } from '../../src/util/rng.js';

const count = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);

function layer(name: string, n: number, rng: Rng, isOutput = false): PrunableLayer {
  return { name, kind: 'fc', isOutput, weights: Float32Array.from({ length: n }, () => rng.normal()), mask: new Uint8Array(n).fill(1) };
}

test('layer-wise: removes round(rate · remaining) smallest |w| per layer, output at its own rate', () => {
  const rng = new Rng(1);
  const layers = [layer('fc1', 1000, rng), layer('out', 100, rng, true)];
  let masks = pruneLayerwise(layers, { fc: 0.2, conv: 0.1, output: 0.1 });
  assert.equal(count(masks['fc1']!), 800);
  assert.equal(count(masks['out']!), 90);
  // Every kept weight is at least as large as every removed one.
  const w = layers[0]!.weights, m = masks['fc1']!;
  let minKept = Infinity, maxRemoved = 0;
  w.forEach((v, i) => { if (m[i]) minKept = Math.min(minKept, Math.abs(v)); else maxRemoved = Math.max(maxRemoved, Math.abs(v)); });
  assert.ok(minKept >= maxRemoved);
  // Fifteen rounds compound to 0.8^15 ≈ 3.5% (with rounding at each round).
  for (let r = 1; r < 15; r++) {
    layers.forEach((l) => { l.mask = masks[l.name]!; });
    masks = pruneLayerwise(layers, { fc: 0.2, conv: 0.1, output: 0.1 });
  }
  let expected = 1000;
  for (let r = 0; r < 15; r++) expected -= Math.round(0.2 * expected);
  assert.equal(count(masks['fc1']!), expected);
  assert.ok(Math.abs(expected / 1000 - 0.8 ** 15) < 0.005);
});

test('layer-wise: already-pruned weights never come back, ties break by index', () => {
  const l: PrunableLayer = { name: 'a', kind: 'fc', isOutput: false, weights: new Float32Array([1, 1, 1, 1, 5, 0]), mask: Uint8Array.from([1, 1, 1, 1, 1, 0]) };
  const m = pruneLayerwise([l], { fc: 0.4, conv: 0, output: 0 })['a']!;
  assert.deepEqual([...m], [0, 0, 1, 1, 1, 0]); // 2 of 5 removed: the two lowest-index ties
});

test('global: one ranking over all non-output layers', () => {
  const a: PrunableLayer = { name: 'a', kind: 'fc', isOutput: false, weights: new Float32Array([0.1, 0.2, 0.3, 0.4]), mask: new Uint8Array(4).fill(1) };
  const b: PrunableLayer = { name: 'b', kind: 'fc', isOutput: false, weights: new Float32Array([0.05, 0.9, 0.8, 0.7]), mask: new Uint8Array(4).fill(1) };
  const o: PrunableLayer = { name: 'o', kind: 'fc', isOutput: true, weights: new Float32Array([0.01, 2]), mask: new Uint8Array(2).fill(1) };
  const m = pruneGlobal([a, b, o], 0.5, 0);
  assert.deepEqual([...m['a']!], [0, 0, 0, 1]);
  assert.deepEqual([...m['b']!], [0, 1, 1, 1]);
  assert.deepEqual([...m['o']!], [1, 1]);
});

test('one-shot: per-layer densities match the iterative ratios and the overall target', () => {
  const layers = [{ kind: 'fc' as const, isOutput: false, size: 235200 }, { kind: 'fc' as const, isOutput: false, size: 30000 }, { kind: 'fc' as const, isOutput: true, size: 1000 }];
  const d = oneShotDensities(layers, { fc: 0.2, conv: 0.1, output: 0.1 }, 0.036);
  const overall = layers.reduce((s, l, i) => s + l.size * d[i]!, 0) / 266200;
  assert.ok(Math.abs(overall - 0.036) < 1e-6, `overall ${overall}`);
  assert.ok(Math.abs(d[0]! - d[1]!) < 1e-12);
  assert.ok(Math.abs(Math.log(d[2]!) / Math.log(d[0]!) - Math.log(0.9) / Math.log(0.8)) < 1e-9);
  const rng = new Rng(3), w = Float32Array.from({ length: 500 }, () => rng.normal());
  const m = pruneToDensity(w, new Uint8Array(500).fill(1), 0.1);
  assert.equal(count(m), 50);
});

test('random masks keep exactly round(d · n) weights, seeded', () => {
  for (const [n, d] of [[1, 1], [10, 0.05], [1000, 0.02], [7, 0.5]] as const) {
    const m = randomMask(n, d, new Rng(9));
    assert.equal(count(m), Math.max(1, Math.round(d * n)));
    assert.deepEqual(m, randomMask(n, d, new Rng(9)));
  }
  assert.throws(() => randomMask(10, 0, new Rng(1)), /density must be in \(0, 1\]/);
});

test('keptByMagnitude: the kept indices by (|w|, index), as a comparator sort orders them, over awkward values', () => {
  const obvious = (w: Float32Array, m: Uint8Array): number[] =>
    [...m.keys()].filter((i) => m[i]).sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b);
  const rng = new Rng(12);
  // ±0, ±Inf, the smallest subnormal, ties (quarter steps, both signs), tiny to huge magnitudes
  const awkward = (): number => {
    const r = rng.next();
    if (r < 0.05) return 0;
    if (r < 0.08) return -0;
    if (r < 0.1) return rng.next() < 0.5 ? Infinity : -Infinity;
    if (r < 0.12) return rng.next() < 0.5 ? 1.4e-45 : -1.4e-45;
    if (r < 0.3) return Math.round((rng.next() - 0.5) * 8) / 4;
    return (rng.next() - 0.5) * 2 ** (rng.next() * 60 - 40);
  };
  for (const n of [0, 1, 2, 5, 300, 5000, 70_000]) {
    const w = Float32Array.from({ length: n }, awkward), m = Uint8Array.from({ length: n }, () => (rng.next() < 0.7 ? 1 : 0));
    assert.deepEqual(Array.from(keptByMagnitude(w, m)), obvious(w, m), `n = ${n}`);
  }
  // A NaN among the kept weights: the comparator's order, whatever it makes of NaN (the radix path would not match it).
  const w = Float32Array.from([0.5, NaN, -0.25, 0, NaN, 0.25, -0.5]), m = Uint8Array.from([1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual(Array.from(keptByMagnitude(w, m)), obvious(w, m));
  // A view into a larger buffer (the bits are read through the same offset).
  const big = Float32Array.from({ length: 40 }, awkward), view = big.subarray(7, 31), vm = new Uint8Array(24).fill(1);
  assert.deepEqual(Array.from(keptByMagnitude(view, vm)), obvious(view, vm));
});
