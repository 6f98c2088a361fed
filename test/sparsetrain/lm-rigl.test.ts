// RigL for the GPT: ERK masks over the block matrices only, per-matrix nonzero counts kept through training,
// growth only at positions that were pruned (weights 0) starting at 0, AdamW moments moved with their weights,
// same seed ⇒ identical weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '../../src/backend/index.js';
import { loadTextDataset } from '../../src/data/text.js';
import { buildGpt, gptConfig } from '../../src/models/gpt.js';
import { initialRigLMasks, LM_RIGL_DEFAULTS, remapAdamW, rigLLayers, rigLUpdateLayers, trainLmRigL } from '../../src/sparsetrain/lm-rigl.js';
import { sampleBatch } from '../../src/data/text.js';
import type { LmTrainOptions } from '../../src/train/lm.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const be = getBackend('native', { warn: () => {} });
const dir = mkdtempSync(join(tmpdir(), 'winnow-lmrigl-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'to be or not to be, that is the question; whether tis nobler in the mind to suffer\n'.repeat(30));
const data = loadTextDataset(`text:${corpus}`);
const o: LmTrainOptions = { model: 'gpt:1-1-16-16', batchSize: 4, iterations: 40, lr: 1e-2, minLr: 1e-3, warmup: 4, weightDecay: 0.1, beta1: 0.9, beta2: 0.99, gradClip: 1, evalEvery: 0, evalIters: 2, seed: 7, density: 1 };

for (const density of [0.5, 0.1]) {
  test(`RigL at density ${density}: ERK counts over the block matrices, kept through training; deterministic`, () => {
    const counts: number[][] = [];
    const r = { ...LM_RIGL_DEFAULTS, density, deltaT: 5 };
    const a = trainLmRigL(be, data, o, r);
    const layers = rigLLayers(a.model);
    const total = layers.reduce((s, l) => s + l.weights.rows * l.weights.cols, 0), kept = layers.reduce((s, l) => s + l.weights.nnz, 0);
    assert.ok(Math.abs(kept / total - density) < 0.01, `density ${kept / total}`);
    assert.equal(a.updates, 6); // iterations 5, 10, …, 30 = 75% of 40
    // ERK: the smaller-fan matrices are denser (c_attn 48×16 vs c_fc 64×16 vs mlp c_proj 16×64)
    const fresh = buildGpt(gptConfig(o.model, data.tokenizer.size), { seed: o.seed });
    initialRigLMasks(fresh, density, 'erk', new Rng(o.seed).stream('rigl-mask'));
    counts.push(rigLLayers(fresh).map((l) => l.weights.nnz));
    assert.deepEqual(layers.map((l) => l.weights.nnz), counts[0], 'per-matrix nonzero counts kept');
    for (const l of a.model.weightLayers()) if (!layers.includes(l)) assert.equal(l.weights.nnz, l.weights.rows * l.weights.cols, `${l.name} stays dense`);
    const b = trainLmRigL(be, data, o, r);
    for (const [x, y] of a.model.params().map((p, i) => [p, b.model.params()[i]!] as const)) assert.deepEqual(Array.from(x.value), Array.from(y.value), x.name);
    // the mask moved
    assert.ok(layers.some((l, i) => { const m0 = rigLLayers(fresh)[i]!.weights.toMask(), m1 = l.weights.toMask(); return m0.some((v, j) => v !== m1[j]); }), 'RigL changed a mask');
  });

  test(`one RigL update at density ${density}: grows only where weights were 0, at 0, and keeps counts`, () => {
    const model = buildGpt(gptConfig(o.model, data.tokenizer.size), { seed: 3 });
    initialRigLMasks(model, density, 'erk', new Rng(3).stream('rigl-mask'));
    const layers = rigLLayers(model);
    const before = layers.map((l) => ({ mask: l.weights.toMask(), w: l.weights.toDense(), nnz: l.weights.nnz }));
    for (const l of layers) l.denseGradOut = new Float32Array(l.weights.rows * l.weights.cols);
    const T = model.config.context, x = new Int32Array(4 * T), y = new Int32Array(4 * T);
    sampleBatch(data.train, 4, T, new Rng(1), x, y);
    model.lossAndGrad(be, x, y, 4, T);
    const slots = rigLUpdateLayers(layers, 0.3);
    layers.forEach((l, i) => {
      const b = before[i]!, m = l.weights.toMask(), w = l.weights.toDense();
      assert.equal(l.weights.nnz, b.nnz, `${l.name} count`);
      assert.equal(l.denseGradOut, null);
      let grown = 0;
      for (let j = 0; j < m.length; j++) {
        if (m[j] && !b.mask[j]) { grown++; assert.equal(b.w[j], 0, 'grown where the weight was 0'); assert.equal(w[j], 0, 'grown at 0'); }
        if (m[j] && b.mask[j]) assert.ok(w[j] === b.w[j] || w[j] === 0, 'kept weights unchanged (or dropped and grown back, at 0)');
      }
      if (b.nnz < m.length) assert.ok(grown > 0 && slots[i], `${l.name} grew ${grown}`);
    });
  });
}

test('remapAdamW moves moments with their weights and zeroes grown ones; bad RigL input is a UserError', () => {
  const s = { step: 3, buffers: [Float32Array.of(1, 2, 3), Float32Array.of(9), Float32Array.of(4, 5, 6), Float32Array.of(8)] };
  const r = remapAdamW(s, new Map([[0, Int32Array.of(2, -1, 0)]]));
  assert.deepEqual(Array.from(r.buffers[0]!), [3, 0, 1]);
  assert.deepEqual(Array.from(r.buffers[2]!), [6, 0, 4]);
  assert.equal(r.buffers[1], s.buffers[1]);
  assert.equal(r.step, 3);
  assert.throws(() => trainLmRigL(be, data, o, { ...LM_RIGL_DEFAULTS, density: 0 }), (e: unknown) => e instanceof UserError && /density: expected a number in \(0, 1\], got 0/.test(e.message));
  assert.throws(() => trainLmRigL(be, data, o, { ...LM_RIGL_DEFAULTS, density: 0.5, deltaT: 0 }), UserError);
});
