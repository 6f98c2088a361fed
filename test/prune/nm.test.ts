// N:M pruning against a brute-force reference, and masks applied to a built model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneNM } from '../../src/prune/nm.js';
import { applyMasks, prunableLayers } from '../../src/prune/model.js';
import { buildModel } from '../../src/models/build.js';
import { Rng } from '../../src/util/rng.js';
import { UserError } from '../../src/util/errors.js';

/** Reference: for each group, try every kept subset of size min(n, kept) and take the one of largest Σ|w| (ties: lexicographically smallest indices). */
function reference(w: Float32Array, mask: Uint8Array, rows: number, cols: number, n: number, m: number): Uint8Array {
  const out = new Uint8Array(w.length);
  for (let g = 0; g < rows * cols; g += m) {
    const kept = [];
    for (let j = g; j < g + m; j++) if (mask[j]) kept.push(j);
    const k = Math.min(n, kept.length);
    // greedy selection one at a time: the largest remaining |w|, lowest index on ties
    const chosen = new Set<number>();
    for (let t = 0; t < k; t++) {
      let best = -1;
      for (const j of kept) if (!chosen.has(j) && (best < 0 || Math.abs(w[j]!) > Math.abs(w[best]!))) best = j;
      chosen.add(best);
    }
    for (const j of chosen) out[j] = 1;
  }
  return out;
}

test('pruneNM matches the reference on random shapes, masks and ties', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const m = 1 + rng.int(8), n = rng.int(m + 1), rows = 1 + rng.int(5), cols = m * (1 + rng.int(6));
    const w = new Float32Array(rows * cols).map(() => (rng.next() < 0.3 ? Math.round(rng.normal() * 2) / 2 : rng.normal()));
    const mask = new Uint8Array(rows * cols).map(() => (rng.next() < 0.8 ? 1 : 0));
    const got = pruneNM(w, mask, rows, cols, n, m);
    assert.deepEqual(got, reference(w, mask, rows, cols, n, m), `n=${n} m=${m} [${rows}, ${cols}]`);
    for (let g = 0; g < got.length; g += m) {
      let c = 0;
      for (let j = g; j < g + m; j++) { c += got[j]!; if (got[j]) assert.equal(mask[j], 1); }
      assert.ok(c <= n);
    }
  }
});

test('pruneNM refuses bad N, M and row lengths with UserErrors', () => {
  const w = new Float32Array(8), mask = new Uint8Array(8).fill(1);
  assert.throws(() => pruneNM(w, mask, 2, 4, 3, 2), UserError);
  assert.throws(() => pruneNM(w, mask, 2, 4, 2, 3), /not divisible by M = 3/);
  assert.throws(() => pruneNM(w, mask, 2, 4, 1, 0), UserError);
});

test('applyMasks zeroes pruned weights of a model and prunableLayers reads them back', () => {
  const model = buildModel('mlp:8-12-3', [1, 1, 8], 3, new Rng(1));
  const layers = prunableLayers(model);
  assert.deepEqual(layers.map((l) => [l.name, l.kind, l.isOutput]), [['fc1', 'fc', false], ['out', 'fc', true]]);
  const masks = { fc1: pruneNM(layers[0]!.weights, layers[0]!.mask, 12, 8, 2, 4) };
  applyMasks(model, masks);
  const after = prunableLayers(model);
  assert.deepEqual(after[0]!.mask, masks.fc1);
  for (let i = 0; i < masks.fc1.length; i++) if (!masks.fc1[i]) assert.equal(after[0]!.weights[i], 0);
  assert.equal(after[1]!.mask.every((v) => v === 1), true);
  assert.throws(() => applyMasks(model, { nope: new Uint8Array(1) }), /no weight layer 'nope'/);
});
