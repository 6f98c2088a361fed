// The one-shot machinery against its slow twins and its definitions: the Hessian accumulation, the damped
// upper Cholesky factor of H⁻¹, the lazy-batched OBS pass (SparseGPT/GPTQ/joint) against the immediate one,
// GPTQ's grid stored exactly in the file, pattern shapes, and error reduction against magnitude and RTN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hessian, prepareHessian } from '../../src/llmcompress/linalg.js';
import { obsCompress, obsReference, type ObsOptions } from '../../src/llmcompress/obs.js';
import { columnQuantizer, fixGrid, gptqGrid } from '../../src/llmcompress/grid.js';
import { checkSparsity, parseNm, rowMask, type Pattern } from '../../src/llmcompress/pattern.js';
import { decodeTensor, encodeTensor } from '../../src/sparse/encodings.js';
import { roundTrip, type FormatName } from '../../src/quant/formats.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function problem(rows: number, cols: number, tokens: number, seed: number): { w: Float64Array; h: Float64Array; x: Float32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(cols * tokens);
  // correlated inputs: a shared factor per token plus noise, one dead input when cols > 3
  for (let t = 0; t < tokens; t++) { const f = rng.normal(); for (let i = 0; i < cols; i++) x[i * tokens + t] = cols > 3 && i === 2 ? 0 : f * (1 + i % 3) + 0.5 * rng.normal(); }
  const hs = new Hessian(cols); hs.add(x, tokens, 1);
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = Math.fround(0.1 * rng.normal());
  return { w, h: hs.matrix(), x };
}

const err = (w: Float64Array, q: Float64Array, h: Float64Array, rows: number, cols: number): number => {
  let s = 0;
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) s += (w[r * cols + i]! - q[r * cols + i]!) * h[i * cols + j]! * (w[r * cols + j]! - q[r * cols + j]!);
  return s;
};

test('Hessian: rank-8 accumulation equals the one-token reference (awkward sizes)', () => {
  for (const [n, tokens] of [[1, 1], [3, 5], [17, 9], [8, 16], [5, 23]] as const) {
    const rng = new Rng(n * 100 + tokens), x = new Float32Array(n * tokens).map(() => rng.normal());
    const a = new Hessian(n), b = new Hessian(n);
    a.add(x, tokens, 2); b.addReference(x, tokens, 2);
    const ha = a.matrix(), hb = b.matrix();
    for (let i = 0; i < ha.length; i++) assert.ok(Math.abs(ha[i]! - hb[i]!) <= 1e-12 * (1 + Math.abs(hb[i]!)), `n=${n} T=${tokens} H[${i}]`);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(a.sq[i]! - b.sq[i]!) <= 1e-12 * (1 + b.sq[i]!));
    // H = 2/nsamples Σ x xᵀ
    let direct = 0;
    for (let t = 0; t < tokens; t++) direct += x[t]! * x[(n - 1) * tokens + t]!;
    assert.ok(Math.abs(ha[n - 1]! - direct) <= 1e-9 * (1 + Math.abs(direct)));
  }
});

test('prepareHessian: Uᵀ U is the inverse of the damped H; dead inputs are found', () => {
  const cols = 9, { h } = problem(2, cols, 40, 1);
  const { u, dead } = prepareHessian(h, cols, 0.01, 'test');
  assert.equal(dead[2], 1);
  const hd = Float64Array.from(h);
  hd[2 * cols + 2] = 1;
  let mean = 0; for (let j = 0; j < cols; j++) mean += hd[j * cols + j]!; mean /= cols;
  for (let j = 0; j < cols; j++) hd[j * cols + j]! += 0.01 * mean;
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
    if (j < i) assert.equal(u[i * cols + j], 0);
    let s = 0;
    for (let k = 0; k < cols; k++) { let inv = 0; for (let m = 0; m < cols; m++) inv += u[m * cols + k]! * u[m * cols + j]!; s += hd[i * cols + k]! * inv; }
    assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(H·H⁻¹)[${i},${j}] = ${s}`);
  }
});

const cases: Array<[string, (rows: number, cols: number, w: Float64Array) => Partial<ObsOptions>]> = [
  ['unstructured 50%', () => ({ prune: { kind: 'unstructured', sparsity: 0.5 } })],
  ['unstructured 90%', () => ({ prune: { kind: 'unstructured', sparsity: 0.9 } })],
  ['2:4', () => ({ prune: { kind: 'nm', n: 2, m: 4 } })],
  ['gptq int4-channel', (r, c, w) => ({ quantize: columnQuantizer(fixGrid(gptqGrid('int4-channel'), w, r, c)) })],
  ['gptq int4-group-asym', (r, c, w) => ({ quantize: columnQuantizer(fixGrid(gptqGrid('int4-group-asym'), w, r, c)) })],
  ['joint 50% + int8-channel', (r, c, w) => ({ prune: { kind: 'unstructured', sparsity: 0.5 }, quantize: columnQuantizer(fixGrid(gptqGrid('int8-channel'), w, r, c)) })],
  ['fixed mask + gptq', (r, c, w) => ({ mask: Uint8Array.from({ length: r * c }, (_, i) => (i % 3 ? 1 : 0)), quantize: columnQuantizer(fixGrid(gptqGrid('int4-channel'), w, r, c)) })],
];

for (const [name, make] of cases) {
  test(`OBS pass: lazy batches equal the immediate reference (${name}; blocks 4 and 128, odd shapes)`, () => {
    for (const [rows, cols, bs] of [[3, 12, 4], [7, 16, 8], [5, 20, 128], [1, 8, 4]] as const) {
      const { w, h } = problem(rows, cols, 50, rows * cols);
      const { u, dead } = prepareHessian(h, cols, 0.01, 'test');
      for (let j = 0; j < cols; j++) if (dead[j]) for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
      const o: ObsOptions = { prune: null, quantize: null, blocksize: bs, ...make(rows, cols, w) };
      const a = Float64Array.from(w), b = Float64Array.from(w);
      const ka = obsCompress(a, rows, cols, u, o), kb = obsReference(b, rows, cols, u, o);
      assert.deepEqual(ka, kb);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-12, `${name} ${rows}×${cols}: ${a[i]} vs ${b[i]}`);
      for (let i = 0; i < a.length; i++) if (!ka[i]) assert.equal(a[i], 0);
      if (o.prune?.kind === 'nm') for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += 4) {
        let k = 0; for (let j = 0; j < 4; j++) if (a[r * cols + g + j] !== 0) k++;
        assert.ok(k <= 2, `2:4 group (${r}, ${g}) keeps ${k}`);
      }
    }
  });
}

test('SparseGPT reconstructs better than magnitude, GPTQ better than round-to-nearest (same H)', () => {
  const rows = 16, cols = 32, { w, h } = problem(rows, cols, 200, 7);
  const { u } = prepareHessian(h, cols, 0.01, 'test');
  const s = Float64Array.from(w);
  obsCompress(s, rows, cols, u, { prune: { kind: 'unstructured', sparsity: 0.5 }, quantize: null, blocksize: 128 });
  const mag = rowMask(Float64Array.from(w, Math.abs), rows, cols, { kind: 'unstructured', sparsity: 0.5 });
  const m = Float64Array.from(w, (v, i) => (mag[i] ? v : 0));
  assert.ok(err(w, s, h, rows, cols) < err(w, m, h, rows, cols), `sparsegpt ${err(w, s, h, rows, cols)} vs magnitude ${err(w, m, h, rows, cols)}`);
  const g = fixGrid(gptqGrid('int4-channel'), w, rows, cols);
  const q = Float64Array.from(w);
  obsCompress(q, rows, cols, u, { prune: null, quantize: columnQuantizer(g), blocksize: 128 });
  const rtn = Float64Array.from(roundTrip('int4-channel', Float32Array.from(w), [rows, cols]));
  assert.ok(err(w, q, h, rows, cols) < err(w, rtn, h, rows, cols), `gptq ${err(w, q, h, rows, cols)} vs rtn ${err(w, rtn, h, rows, cols)}`);
});

test('GPTQ: the file holds exactly the grid GPTQ rounded onto (every integer format; sparse encodings for per-channel)', () => {
  const rows = 6, cols = 256, { w, h } = problem(rows, cols, 300, 3);
  const { u } = prepareHessian(h, cols, 0.01, 'test');
  for (const f of ['int4-channel', 'int4-channel-asym', 'int8-channel', 'int8-channel-asym', 'int4-group', 'int4-group-asym', 'int8-group', 'int8-group-asym'] as FormatName[]) {
    for (const sparsity of [0, 0.6]) {
      const g = fixGrid(gptqGrid(f), w, rows, cols);
      if (g.grid.per === 'group' && sparsity > 0) continue; // groups of a sparse value list follow the nonzeros
      const q = Float64Array.from(w);
      obsCompress(q, rows, cols, u, { prune: sparsity ? { kind: 'unstructured', sparsity } : null, quantize: columnQuantizer(g), blocksize: 128 });
      const q32 = Float32Array.from(q);
      const t = encodeTensor('w', q32, [rows, cols], f, g.grid.per === 'group' ? 'dense' : 'auto', g.values);
      const back = decodeTensor(t);
      let diff = 0;
      for (let i = 0; i < q32.length; i++) if (back[i] !== q32[i]) diff++; // (−0 and 0 are the same weight)
      assert.equal(diff, 0, `${f} sparsity ${sparsity} (${t.encoding}): ${diff} values differ`);
    }
  }
  assert.throws(() => gptqGrid('nvfp4'), UserError);
});

test('patterns: bad sparsities and N:M are one-line UserErrors; row masks keep what they say', () => {
  for (const s of [1, 1.5, -0.1, NaN]) assert.throws(() => checkSparsity(s), (e: unknown) => e instanceof UserError && /\[0, 1\)/.test(e.message));
  for (const v of ['4:4', '5:4', '0:4', 'x', '2:1']) assert.throws(() => parseNm(v), UserError);
  assert.deepEqual(parseNm('4:8'), { n: 4, m: 8 });
  const rng = new Rng(2), score = new Float64Array(5 * 16).map(() => rng.next());
  for (const p of [{ kind: 'unstructured', sparsity: 0.7 }, { kind: 'nm', n: 2, m: 4 }, { kind: 'nm', n: 4, m: 8 }] as Pattern[]) {
    const m = rowMask(score, 5, 16, p);
    for (let r = 0; r < 5; r++) {
      const kept = m.subarray(r * 16, r * 16 + 16).reduce((a, b) => a + b, 0);
      assert.equal(kept, p.kind === 'nm' ? 16 * p.n / p.m : 16 - Math.floor(16 * 0.7));
    }
  }
});

test('oneShot on a GPT: magnitude per layer and global remove exactly ⌊s·n⌋; reruns are identical; embeddings are not pruned', async () => {
  const { buildGpt, gptConfig } = await import('../../src/models/gpt.js');
  const { oneShot, ONESHOT_DEFAULTS, targetLayers } = await import('../../src/llmcompress/oneshot.js');
  const { referenceBackend } = await import('../../src/backend/reference.js');
  const cfg = gptConfig('gpt:2-2-16-8', 11);
  const rng = new Rng(5), cal = Int32Array.from({ length: 6 * 8 }, () => rng.int(11));
  const base = { ...ONESHOT_DEFAULTS, quant: 'rtn' as const, format: 'fp32' as const };
  const perLayer = buildGpt(cfg, { seed: 1 });
  oneShot(referenceBackend, perLayer, cal, { ...base, prune: 'magnitude', pattern: { kind: 'unstructured', sparsity: 0.6 } });
  for (const l of targetLayers(perLayer)) assert.equal(l.weights.rows * l.weights.cols - l.weights.nnz, Math.floor(0.6 * l.weights.rows * l.weights.cols), l.name);
  assert.equal(perLayer.wte.weights.density, 1);
  const global = buildGpt(cfg, { seed: 1 });
  oneShot(referenceBackend, global, cal, { ...base, prune: 'magnitude-global', pattern: { kind: 'unstructured', sparsity: 0.6 } });
  const ls = targetLayers(global), total = ls.reduce((s, l) => s + l.weights.rows * l.weights.cols, 0);
  assert.equal(total - ls.reduce((s, l) => s + l.weights.nnz, 0), Math.floor(0.6 * total));
  assert.ok(new Set(ls.map((l) => l.weights.density.toFixed(4))).size > 1, 'global magnitude gives layers different densities');
  const once = (): Float32Array[] => {
    const m = buildGpt(cfg, { seed: 1 });
    oneShot(referenceBackend, m, cal, { ...base, prune: 'sparsegpt', pattern: { kind: 'nm', n: 4, m: 8 }, quant: 'gptq', format: 'int8-channel' });
    return targetLayers(m).map((l) => l.weights.toDense());
  };
  assert.deepEqual(once(), once());
});
