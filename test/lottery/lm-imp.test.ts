// IMP with rewinding for the GPT: the rewound model holds θk under the mask, masks nest across levels and hit
// each level's density, the controls keep the ticket's per-matrix counts (reinit: its mask, random-prune: θk),
// same seed ⇒ identical weights, and bad levels get a one-line UserError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '../../src/backend/index.js';
import { loadTextDataset } from '../../src/data/text.js';
import { applyMasks, checkLevelSparsities, currentMasks, impLayers, impMasks, maskCounts, randomMasksLike, trainLmImpBranch, type LmBranch } from '../../src/lottery/lm-imp.js';
import { buildGpt, gptConfig, type Gpt } from '../../src/models/gpt.js';
import { trainLm, type LmTrainOptions } from '../../src/train/lm.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const be = getBackend('native', { warn: () => {} });
const dir = mkdtempSync(join(tmpdir(), 'winnow-lmimp-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'to be or not to be, that is the question; whether tis nobler in the mind to suffer\n'.repeat(30));
const data = loadTextDataset(`text:${corpus}`);
const o: LmTrainOptions = { model: 'gpt:1-1-16-16', batchSize: 4, iterations: 24, lr: 1e-2, minLr: 1e-3, warmup: 4, weightDecay: 0.1, beta1: 0.9, beta2: 0.99, gradClip: 1, evalEvery: 0, evalIters: 2, seed: 5, density: 1 };
const K = 6;

/** Every parameter's values, copied. */
const state = (m: Gpt): Map<string, Float32Array> => new Map(m.params().map((p) => [p.name, Float32Array.from(p.value)]));
/** A GPT holding a saved state (dense), as a file would give it back. */
function fromState(s: Map<string, Float32Array>): Gpt {
  const m = buildGpt(gptConfig(o.model, data.tokenizer.size), { seed: 0 });
  for (const l of m.weightLayers()) l.setWeights(Float32Array.from(s.get(`${l.name}.weight`)!), null);
  for (const p of m.params()) p.value.set(s.get(p.name)!);
  return m;
}

// the dense run (level 0) with θk saved on the way
let thetaK: Map<string, Float32Array> | null = null;
const dense = trainLm(be, data, o, { onIteration: (it, m) => { if (it === K) thetaK = state(m); } }).model;
const denseState = state(dense);

function branch(sparsity: number, b: LmBranch, previous: Gpt, onStart?: (model: Gpt) => void) {
  const rewound = fromState(thetaK!);
  let checked = false;
  const r = trainLmImpBranch(be, data, o, { sparsity, strategy: 'layerwise', branch: b, rewound, rewindIteration: K, previous }, {
    onIteration: (it, m) => { if (!checked) { assert.equal(it, K, 'training continues from iteration k'); onStart?.(m); checked = true; } },
  });
  assert.ok(checked);
  return r;
}

test('the ticket starts from θk under its mask: pruned block weights 0, the rest exactly θk', () => {
  assert.ok(thetaK);
  const r = branch(0.5, 'ticket', fromState(denseState), (m) => {
    const names = new Set(impLayers(m).map((l) => `${l.name}.weight`));
    for (const p of m.params()) {
      const want = thetaK!.get(p.name)!;
      if (!names.has(p.name)) { assert.deepEqual(Array.from(p.value), Array.from(want), `${p.name} rewound`); continue; }
      const l = impLayers(m).find((x) => `${x.name}.weight` === p.name)!;
      const w = l.weights.toDense(), mask = l.weights.toMask();
      for (let i = 0; i < w.length; i++) assert.equal(w[i], mask[i] ? want[i] : 0, `${p.name}[${i}]`);
    }
  });
  // embeddings stay dense; each block matrix keeps exactly half
  for (const l of r.model.weightLayers()) {
    const size = l.weights.rows * l.weights.cols;
    if (impLayers(r.model).includes(l)) assert.equal(l.weights.nnz, Math.round(0.5 * size), l.name);
    else assert.equal(l.weights.nnz, size, `${l.name} dense`);
  }
});

test('masks nest across levels and reach each level\'s density (layerwise and global); same seed ⇒ identical ticket', () => {
  const l1 = branch(0.5, 'ticket', fromState(denseState));
  const m1 = currentMasks(l1.model);
  const l2 = branch(0.7, 'ticket', l1.model);
  const m2 = currentMasks(l2.model);
  for (const [name, a] of m2) {
    const b = m1.get(name)!;
    for (let i = 0; i < a.length; i++) assert.ok(!a[i] || b[i], `${name}[${i}] kept at 70% but pruned at 50%`);
    assert.equal(a.reduce((s, v) => s + v, 0), Math.round(0.3 * a.length), name);
  }
  const g = impMasks(l1.model, 0.3, 'global'), c = maskCounts(g);
  assert.equal(c.kept, Math.round(0.3 * c.total));
  for (const [name, a] of g) { const b = m1.get(name)!; for (let i = 0; i < a.length; i++) assert.ok(!a[i] || b[i], `global ${name}[${i}]`); }
  const again = branch(0.5, 'ticket', fromState(denseState));
  for (const [p, v] of state(l1.model)) assert.deepEqual(Array.from(state(again.model).get(p)!), Array.from(v), `${p} deterministic`);
});

test('controls have the ticket\'s per-matrix density: reinit its mask and fresh weights, random-prune a random mask and θk', () => {
  const ticket = branch(0.7, 'ticket', fromState(denseState));
  const tm = ticket.masks;
  const reinit = branch(0.7, 'reinit', fromState(denseState), (m) => {
    const first = impLayers(m)[0]!, w = first.weights.toDense(), want = thetaK!.get(`${first.name}.weight`)!;
    assert.ok(w.some((v, i) => v !== 0 && v !== want[i]), 'reinit weights are not θk');
  });
  for (const [name, m] of reinit.masks) assert.deepEqual(Array.from(m), Array.from(tm.get(name)!), `reinit ${name} mask`);
  const rp = branch(0.7, 'random-prune', fromState(denseState), (m) => {
    for (const l of impLayers(m)) {
      const w = l.weights.toDense(), want = thetaK!.get(`${l.name}.weight`)!, mask = l.weights.toMask();
      for (let i = 0; i < w.length; i++) assert.equal(w[i], mask[i] ? want[i] : 0);
    }
  });
  let differs = false;
  for (const [name, m] of rp.masks) {
    const t = tm.get(name)!;
    assert.equal(m.reduce((s, v) => s + v, 0), t.reduce((s, v) => s + v, 0), `random-prune ${name} count`);
    if (m.some((v, i) => v !== t[i])) differs = true;
  }
  assert.ok(differs, 'random-prune draws its own mask');
  // the trained controls keep those counts
  for (const r of [reinit, rp]) for (const l of impLayers(r.model)) assert.equal(l.weights.nnz, r.masks.get(l.name)!.reduce((s, v) => s + v, 0), l.name);
  const counts = randomMasksLike(tm, new Rng(1));
  for (const [name, m] of counts) assert.equal(m.reduce((s, v) => s + v, 0), tm.get(name)!.reduce((s, v) => s + v, 0));
  applyMasks(ticket.model, counts); // installs without touching the counts
  for (const l of impLayers(ticket.model)) assert.equal(l.weights.nnz, counts.get(l.name)!.reduce((s, v) => s + v, 0));
});

test('bad IMP input: one-line UserErrors', () => {
  assert.throws(() => checkLevelSparsities([0.5, 1]), (e: unknown) => e instanceof UserError && /sparsities in \(0, 1\), got 1/.test(e.message));
  assert.throws(() => checkLevelSparsities([0.7, 0.5]), (e: unknown) => e instanceof UserError && /increasing/.test(e.message));
  assert.throws(() => checkLevelSparsities([0]), UserError);
  assert.throws(() => trainLmImpBranch(be, data, o, { sparsity: 0.5, strategy: 'layerwise', branch: 'ticket', rewound: fromState(thetaK!), rewindIteration: 24, previous: fromState(denseState) }),
    (e: unknown) => e instanceof UserError && /--rewind-iter 24/.test(e.message));
  const l1 = branch(0.7, 'ticket', fromState(denseState));
  assert.throws(() => impMasks(l1.model, 0.5, 'layerwise'), (e: unknown) => e instanceof UserError && /levels must prune further/.test(e.message));
});
