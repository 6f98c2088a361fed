// The measured batch-1 format choice (src/nn/gpt/format-choice.ts): on a backend whose mat-vecs only
// advance a clock by a known cost per format it picks the cheapest format the matrix can run in (2:4 only
// for a 2:4 pattern), caches the pick in the process and on disk, and a second process reads the disk;
// then once on the native backend: a model's large matrices get one of the candidates, the same on a
// second decoder, and its logits match the rule's within float rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, DecoderFormat } from '../../src/backend/backend.js';
import { getBackend } from '../../src/backend/index.js';
import { clearFormatMemo, formatCandidates, measuredFormat } from '../../src/nn/gpt/format-choice.js';
import { GptDecoder, MEASURE_FROM } from '../../src/nn/gpt/decode.js';
import { buildGpt, gptConfig } from '../../src/models/gpt.js';
import { pruneToDensity } from '../../src/prune/magnitude.js';

function costModel(cost: Partial<Record<DecoderFormat, number>>, detail = 'fake') {
  let t = 0;
  const be = {
    name: 'native', detail,
    prepareMatvec: (f: DecoderFormat) => ({ forward: () => { t += cost[f] ?? 1e9; } }),
  } as unknown as Backend;
  return { be, now: () => t };
}

test('measuredFormat: the cheapest candidate, cached in the process and on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-formats-'));
  try {
    clearFormatMemo();
    const file = join(dir, 'sub', 'decoder-formats.json');
    const rows = 8, cols = 16;
    const nm = new Float32Array(rows * cols).map((_, i) => (i % 4 < 2 ? 1 : 0));       // 2:4
    const three = new Float32Array(rows * cols).map((_, i) => (i % 4 < 3 ? 1 : 0));    // 3 of 4: not 2:4
    assert.deepEqual(formatCandidates(nm, rows, cols), ['dense', 'sell', '2:4']);
    assert.deepEqual(formatCandidates(three, rows, cols), ['dense', 'sell']);
    const a = costModel({ dense: 3e-6, sell: 2e-6, '2:4': 1e-6 }, 'fake-a');
    assert.equal(measuredFormat(a.be, nm, rows, cols, { cacheFile: file, now: a.now }), '2:4');
    assert.equal(measuredFormat(a.be, three, rows, cols, { cacheFile: file, now: a.now }), 'sell');  // 2:4 not a candidate
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.values(stored).sort(), ['2:4', 'sell']);
    assert.ok(Object.keys(stored).some((k) => /native\/fake-a\/.* 8x16 d=0\.50 2:4$/.test(k)));
    // a second process (memo cleared) whose clock would now favour dense reads the disk cache
    clearFormatMemo();
    const b = costModel({ dense: 1e-7, sell: 2e-6, '2:4': 1e-6 }, 'fake-a');
    assert.equal(measuredFormat(b.be, nm, rows, cols, { cacheFile: file, now: b.now }), '2:4');
    // without a disk cache, and another ISA, it measures again
    assert.equal(measuredFormat(costModel({ dense: 1e-7, sell: 2e-6 }, 'fake-b').be, three, rows, cols, { cacheFile: null, now: b.now }), 'dense');
  } finally {
    clearFormatMemo();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GptDecoder auto on the native backend: measured formats for large matrices, logits as the rule\'s', () => {
  const be = getBackend('native');
  const m = buildGpt(gptConfig('gpt:1-2-64-8', 11), { seed: 3, storage: 'dense' });
  for (const b of m.blocks) for (const l of b.weightLayers()) {
    const w = l.weights.toDense();
    l.setWeights(w, pruneToDensity(w, new Uint8Array(w.length).fill(1), 0.3, l.name));
  }
  clearFormatMemo();
  const dir = mkdtempSync(join(tmpdir(), 'winnow-formats-'));
  try {
    const timing = { cacheFile: join(dir, 'f.json') };
    const auto = new GptDecoder(be, m, 'auto', timing), again = new GptDecoder(be, m, 'auto', timing), rule = new GptDecoder(be, m, 'rule');
    for (const p of auto.matrices()) {
      if (p.rows * p.cols >= MEASURE_FROM) assert.ok(['dense', 'sell', '2:4'].includes(p.format), `${p.name}: ${p.format}`);
    }
    assert.deepEqual(again.matrices(), auto.matrices());
    for (const tok of [1, 4, 7]) {
      const x = auto.step(tok), y = rule.step(tok);
      for (let v = 0; v < 11; v++) assert.ok(Math.abs(x[v]! - y[v]!) < 1e-4, `logit ${v}: ${x[v]} vs ${y[v]}`);
    }
  } finally {
    clearFormatMemo();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('groupFcRows: c_fc rows dealt into slices of like windows, mlp.c_proj columns alike; the MLP output unchanged, fewer sliced-ELL layers', async () => {
  const { groupFcRows } = await import('../../src/nn/gpt/decode.js');
  const { toSell } = await import('../../src/backend/decoder-reference.js');
  for (const dim of [40, 64]) {  // windows of 32 and one of 8 (awkward), and two whole windows
    const hidden = 4 * dim;
    let seed = 7 + dim;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
    const fcW = new Float32Array(hidden * dim).map(() => (rnd() < -0.4 ? rnd() : 0)), fcB = new Float32Array(hidden).map(rnd);
    const pW = new Float32Array(dim * hidden).map(() => (rnd() < -0.3 ? rnd() : 0));
    const fc = { format: 'sell' as const, weights: fcW, bias: fcB }, proj = { format: 'sell' as const, weights: pW, bias: null };
    const x = new Float32Array(dim).map(rnd);
    const mlp = (f: typeof fc, p: typeof proj): Float64Array => {
      const h = new Float64Array(hidden), out = new Float64Array(dim);
      for (let r = 0; r < hidden; r++) { let s = f.bias![r]!; for (let c = 0; c < dim; c++) s += f.weights[r * dim + c]! * x[c]!; h[r] = Math.max(0, s); }
      for (let d = 0; d < dim; d++) { let s = 0; for (let r = 0; r < hidden; r++) s += p.weights[d * hidden + r]! * h[r]!; out[d] = s; }
      return out;
    };
    const layers = (m: Float32Array): number => { const e = toSell(m, hidden, dim); return e.slicePtr[e.slicePtr.length - 1]!; };
    const before = mlp(fc, proj), layersBefore = layers(fcW);
    groupFcRows(fc, proj, hidden, dim);
    const after = mlp(fc, proj);
    for (let d = 0; d < dim; d++) assert.ok(Math.abs(after[d]! - before[d]!) < 1e-9, `dim ${dim} output ${d}`);
    const rows = (m: Float32Array) => Array.from({ length: hidden }, (_, r) => Array.from(m.subarray(r * dim, r * dim + dim)).join()).sort();
    assert.deepEqual(rows(fc.weights), rows(fcW));  // the same rows, reordered
    assert.ok(layers(fc.weights) < layersBefore, `dim ${dim}: ${layers(fc.weights)} layers, ${layersBefore} before`);
  }
});
