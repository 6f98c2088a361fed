// The measured dense/sparse switch (src/nn/sparse-switch.ts): the break-even it finds on a backend whose
// costs are known (a fake clock advanced by a cost model), clamping, the per-shape and on-disk cache, the
// reference backend's fixed default, and the storage it picks per layer; then once on the native
// backend (a threshold in [0, 1], the same on a second ask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { getBackend } from '../../src/backend/index.js';
import { breakEven, clearSwitchMemo, measuredSparseSwitch } from '../../src/nn/sparse-switch.js';
import { DEFAULT_SPARSE_THRESHOLD, WeightMatrix, type SwitchQuery } from '../../src/nn/weights.js';
import { buildModel } from '../../src/models/build.js';
import { Rng } from '../../src/util/rng.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { Linear } from '../../src/nn/linear.js';

/** A backend whose calls only advance a clock: dense costs `perFlop` per multiply-add, sparse `perNnz`·n per nonzero plus `callCost`. */
function costModel(perFlopDense: number, perNnzCol: number, callCost: number, detail = 'fake') {
  let t = 0;
  const calls: string[] = [];
  const be = {
    name: 'native', detail,
    gemm: (ta: boolean, tb: boolean, m: number, n: number, k: number, _al: number, _a: Float32Array, _lda: number, _b: Float32Array, ldb: number) => {
      calls.push(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ldb=${ldb}`); t += m * n * k * perFlopDense; return true;
    },
    spmm: (_r: number, _c: number, _p: Int32Array, idx: Int32Array, _v: Float32Array, _x: Float32Array, n: number, _b: number, _y: Float32Array, ldx?: number) => {
      calls.push(`spmm ldx=${ldx ?? n}`); t += callCost + idx.length * n * perNnzCol;
    },
    spmmT: (_r: number, _c: number, _p: Int32Array, idx: Int32Array, _pm: Int32Array, _v: Float32Array, _d: Float32Array, n: number) => { t += callCost + idx.length * n * perNnzCol; },
    sddmm: (_r: number, _p: Int32Array, idx: Int32Array, _d: Float32Array, _x: Float32Array, n: number, _o: Float32Array, ldx?: number) => {
      calls.push(`sddmm ldx=${ldx ?? n}`); t += callCost + idx.length * n * perNnzCol;
    },
    // spmmT and sddmm fused: the cost of both
    sparseBackward: (_r: number, _c: number, _p: Int32Array, idx: Int32Array, _pm: Int32Array, _v: Float32Array, _d: Float32Array, _x: Float32Array, n: number) => {
      calls.push('sparseBackward'); t += 2 * (callCost + idx.length * n * perNnzCol);
    },
    // the prepared index runs the same modelled kernels
    prepareSparse: (r: number, c: number, rowPtr: Int32Array, colIdx: Int32Array, colPtr: Int32Array, rowIdx: Int32Array, perm: Int32Array) => ({
      spmm: (v: Float32Array, x: Float32Array, n: number, y: Float32Array, ldx?: number) => be.spmm(r, c, rowPtr, colIdx, v, x, n, 0, y, ldx),
      sddmm: (d: Float32Array, x: Float32Array, n: number, o: Float32Array, ldx?: number) => be.sddmm(r, rowPtr, colIdx, d, x, n, o, ldx),
      backward: (v: Float32Array, d: Float32Array, x: Float32Array, n: number, dx: Float32Array, g: Float32Array) => be.sparseBackward(r, c, colPtr, rowIdx, perm, v, d, x, n, 0, dx, g),
    }),
  } as unknown as Backend;
  return { be, now: () => t, calls };
}

/** An fc layer's query (one column per sample, not the input layer). */
const fc = (rows: number, cols: number): SwitchQuery => ({ rows, cols, colsPerSample: 1, input: false });

test('breakEven: the density where the modelled sparse step meets the dense one', () => {
  // dense step: 3·rows·cols·n·1 ; sparse step: 3·(10 + nnz·n·4) → equal at nnz/(rows·cols) ≈ 1/4 (minus the call cost)
  const rows = 100, cols = 200, n = 32;
  const { be, now } = costModel(1, 4, 10);
  const t = breakEven(be, rows, cols, n, now);
  const exact = (rows * cols * n - 10) / (4 * n * rows * cols);
  assert.ok(Math.abs(t - exact) < 0.01, `break-even ${t}, expected ≈ ${exact}`);
  // sparse never cheaper → 0; always cheaper → 1
  assert.equal(breakEven(costModel(1, 1e6, 0).be, rows, cols, n, costModel(1, 1e6, 0).now), 0);
  const cheap = costModel(1, 0.01, 0);
  assert.equal(breakEven(cheap.be, rows, cols, n, cheap.now), 1);
});

test('breakEven of a layer that reads the model\'s input: no input gradient on either side, the input at its stride', () => {
  // dense step: 2·rows·cols·n ; sparse step: spmm + sddmm = 2·(10 + nnz·n·4), so the same crossing as above
  const rows = 100, cols = 200, n = 30;
  const { be, now, calls } = costModel(1, 4, 10);
  const t = breakEven(be, rows, cols, n, now, { ldx: 32 });
  const exact = (rows * cols * n - 10) / (4 * n * rows * cols);
  assert.ok(Math.abs(t - exact) < 0.01, `break-even ${t}, expected ≈ ${exact}`);
  assert.deepEqual([...new Set(calls)].sort(), ['gemm NN ldb=32', 'gemm NT ldb=32', 'sddmm ldx=32', 'spmm ldx=32']);
  // With an input gradient to compute (any other layer): dX on both sides, the input packed.
  const mid = costModel(1, 4, 10);
  breakEven(mid.be, rows, cols, n, mid.now);
  assert.deepEqual([...new Set(mid.calls)].sort(), ['gemm NN ldb=30', 'gemm NT ldb=30', 'gemm TN ldb=30', 'sparseBackward', 'spmm ldx=30']);
});

test('measuredSparseSwitch: per shape, cached in the process and on disk; reference gets the fixed default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-switch-'));
  try {
    clearSwitchMemo();
    const file = join(dir, 'sub', 'sparse-switch.json');
    const a = costModel(1, 4, 10, 'fake-a');
    const sw = measuredSparseSwitch(a.be, 32, { cacheFile: file, now: a.now });
    const t1 = sw(fc(100, 200));
    assert.ok(t1 > 0.2 && t1 < 0.3, `threshold ${t1}`);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    assert.deepEqual(Object.values(stored), [t1]);
    assert.match(Object.keys(stored)[0]!, /native\/fake-a\/.* 100x200 n=32$/);
    // A second process (memo cleared) with a clock that would measure differently reads the disk cache.
    clearSwitchMemo();
    const b = costModel(1, 1, 0, 'fake-a');
    assert.equal(measuredSparseSwitch(b.be, 32, { cacheFile: file, now: b.now })(fc(100, 200)), t1);
    // Another shape, or conv columns (n = batch × positions, capped at 256), is measured on its own.
    const t2 = measuredSparseSwitch(b.be, 32, { cacheFile: file, now: b.now })({ ...fc(100, 200), colsPerSample: 49 });
    assert.ok(t2 > 0.9, `threshold ${t2} for cheap sparse kernels`);
    assert.ok(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).some((k) => k.endsWith('n=256')));
    // The reference backend is not measured.
    // A layer that reads the model's input is measured on its own (its key names the input and its stride).
    measuredSparseSwitch(b.be, 30, { cacheFile: file, now: b.now })({ ...fc(100, 200), input: true });
    assert.ok(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).some((k) => k.endsWith('100x200 n=30 input ldx=32')));
    // The reference backend is not measured.
    assert.equal(measuredSparseSwitch(getBackend('reference'), 32, { cacheFile: null })(fc(100, 200)), DEFAULT_SPARSE_THRESHOLD);
  } finally {
    clearSwitchMemo();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a switch decides the storage of each layer from its own shape (conv: output positions per sample)', () => {
  const asked: Array<[number, number, number]> = [];
  const sw = ({ rows, cols, colsPerSample }: SwitchQuery) => { asked.push([rows, cols, colsPerSample]); return rows === 30 ? 0.5 : 0.1; };
  const mask = (len: number, keep: number) => Uint8Array.from({ length: len }, (_, i) => (i % keep === 0 ? 1 : 0));
  const wide = new WeightMatrix(30, 40, new Float32Array(1200), mask(1200, 4), 'auto', sw);   // 25% < 50%
  const narrow = new WeightMatrix(20, 40, new Float32Array(800), mask(800, 4), 'auto', sw);   // 25% ≥ 10%
  assert.equal(wide.storage, 'sparse');
  assert.equal(narrow.storage, 'dense');
  assert.equal(new WeightMatrix(30, 40, new Float32Array(1200), mask(1200, 4), 'dense', sw).storage, 'dense');
  const fc = new Linear('fc', 40, 30, 'relu', { sparseThreshold: sw });
  fc.setWeights(fc.weights.toDense(), mask(1200, 4));
  assert.equal(fc.weights.storage, 'sparse');
  asked.length = 0;
  const conv = new Conv2d('c', { inChannels: 2, height: 7, width: 5, outChannels: 3, kernel: 3, stride: 1, pad: 1 }, 'relu', { sparseThreshold: sw });
  conv.setWeights(conv.weights.toDense(), mask(3 * 18, 4));
  assert.deepEqual(asked, [[3, 18, 35], [3, 18, 35]]);
});

test('measuredSparseSwitch on the native backend: a threshold in [0, 1], stable once measured', () => {
  const be = getBackend('native');
  clearSwitchMemo();
  const sw = measuredSparseSwitch(be, 60, { cacheFile: null });
  const t = sw(fc(300, 784)), first = sw({ ...fc(300, 784), input: true });
  assert.ok(t >= 0 && t <= 1, `threshold ${t}`);
  assert.ok(first >= 0 && first <= 1, `input layer's threshold ${first}`);
  assert.equal(sw(fc(300, 784)), t);
  clearSwitchMemo();
});

test('buildModel asks the switch about its first weight layer as the one that reads the input, and only that one', () => {
  for (const [spec, first] of [['mlp:784-300-100-10', 'fc1'], ['conv:8-pool-16-pool-64-10', 'conv1']] as const) {
    const asked = new Map<string, boolean>();
    const sw = (q: SwitchQuery) => { asked.set(`${q.rows}x${q.cols}`, q.input); return 0.3; };
    const model = buildModel(spec, [1, 28, 28], 10, new Rng(1), { sparseThreshold: sw });
    for (const l of model.weightLayers()) {
      assert.equal(asked.get(`${l.weights.rows}x${l.weights.cols}`), l.name === first, `${spec} ${l.name}`);
    }
  }
});
