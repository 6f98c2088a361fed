// A sparse WeightMatrix keeps its values, gradient and optimizer state in CSC order (a first layer and the GPT's wide
// kernels keep CSR order). Nothing outside the class may see the difference: csr(), toDense, loadDense, updateSparsity's slot map
// and the optimizer's state (through Param.layout) speak CSR order for both, and the two orders train alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as be } from '../../src/backend/reference.js';
import { WeightMatrix } from '../../src/nn/weights.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { Rng } from '../../src/util/rng.js';
import { nativeBackend } from '../backend/helpers.js';

function twins(rng: Rng, rows: number, cols: number, density: number): { csc: WeightMatrix; csr: WeightMatrix; dense: Float32Array; mask: Uint8Array } {
  const dense = Float32Array.from({ length: rows * cols }, () => rng.normal());
  const mask = Uint8Array.from({ length: rows * cols }, () => (rng.next() < density ? 1 : 0));
  return {
    csc: new WeightMatrix(rows, cols, dense, mask, 'sparse'),
    csr: new WeightMatrix(rows, cols, dense, mask, 'sparse', undefined, { wide: true }),
    dense, mask,
  };
}

const bits = (a: Float32Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

test('a sparse layer stores its values column by column; csr(), toDense, toMask and loadDense speak row-major order', () => {
  const rng = new Rng(61);
  for (let t = 0; t < 40; t++) {
    const rows = 1 + rng.int(12), cols = 1 + rng.int(15);
    const { csc, csr, dense, mask } = twins(rng, rows, cols, [0, 0.1, 0.5, 1][t % 4]!);
    assert.equal(csc.order, 'csc'); assert.equal(csr.order, 'csr');
    assert.equal(new WeightMatrix(rows, cols, dense, mask, 'sparse', undefined, { input: true }).order, 'csr', 'a first layer keeps CSR order');
    const columnMajor: number[] = [];
    for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) if (mask[r * cols + c]) columnMajor.push(dense[r * cols + c]!);
    assert.deepEqual(bits(csc.value), bits(Float32Array.from(columnMajor)), `case ${t}: storage order`);
    assert.deepEqual(bits(csc.csr()!.values), bits(csr.csr()!.values), `case ${t}: csr() values`);
    assert.deepEqual(bits(csc.toDense()), bits(csr.toDense()), `case ${t}: toDense`);
    assert.deepEqual([...csc.toMask()], [...mask], `case ${t}: toMask`);
    assert.deepEqual(bits(csc.layout!.toCanonical(csc.value)), bits(csr.value), `case ${t}: layout to CSR order`);
    const back = new Float32Array(csc.nnz);
    csc.layout!.fromCanonical(csr.value, back);
    assert.deepEqual(bits(back), bits(csc.value), `case ${t}: layout back`);
    const other = Float32Array.from(dense, () => rng.normal());
    csc.loadDense(other); csr.loadDense(other);
    assert.deepEqual(bits(csc.toDense()), bits(csr.toDense()), `case ${t}: loadDense`);
    assert.equal(csr.layout, null);
  }
});

test('updateSparsity: the same masks, values and slot maps in either order; a layout taken before still maps the old state', () => {
  const rng = new Rng(62);
  let checked = 0;
  for (let t = 0; t < 40; t++) {
    const rows = 1 + rng.int(10), cols = 2 + rng.int(12);
    const { csc, csr } = twins(rng, rows, cols, 0.4);
    if (csc.nnz === 0 || csc.nnz === rows * cols) continue;
    const drop = Uint8Array.from({ length: csc.nnz }, () => (rng.next() < 0.3 ? 1 : 0));
    const k = drop.reduce((a, b) => a + b, 0);
    const mask = csc.toMask();  // grown at positions not kept before
    const free = [...mask.keys()].filter((p) => !mask[p]);
    const grow = Int32Array.from(rng.permutation(free.length).subarray(0, Math.min(k, free.length)), (i) => free[i]!).sort();
    if (grow.length !== k) continue;
    const layoutBefore = csc.layout!, stateBefore = Float32Array.from(csc.value);
    const fromCsc = csc.updateSparsity(drop, grow), fromCsr = csr.updateSparsity(drop, grow);
    assert.deepEqual([...fromCsc], [...fromCsr], `case ${t}: slot map`);
    assert.deepEqual(bits(csc.toDense()), bits(csr.toDense()), `case ${t}: weights`);
    assert.deepEqual(bits(csc.layout!.toCanonical(csc.value)), bits(csr.value), `case ${t}: new layout`);
    const oldCanonical = layoutBefore.toCanonical(stateBefore);
    fromCsr.forEach((q, j) => { if (q >= 0) assert.equal(oldCanonical[q], csr.value[j], `case ${t}: kept weight ${j} via the old layout`); });
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} of 40 cases had a balanced drop and growth`);
});

test('the optimizer keeps state in storage order and hands it out in CSR order: both orders train to the same bits', () => {
  const rng = new Rng(63);
  const rows = 9, cols = 13, n = 5;
  const { csc, csr } = twins(rng, rows, cols, 0.3);
  const param = (w: WeightMatrix) => ({ name: 'w', value: w.value, grad: w.grad, layout: w.layout });
  const oa = new Optimizer([param(csc)], { kind: 'adam', lr: 0.01 }), ob = new Optimizer([param(csr)], { kind: 'adam', lr: 0.01 });
  const x = Float32Array.from({ length: cols * n }, () => rng.normal());
  for (let step = 0; step < 4; step++) {
    const dy = Float32Array.from({ length: rows * n }, () => rng.normal());
    for (const w of [csc, csr]) w.backward(be, dy, x, n, null);
    assert.deepEqual(bits(csc.layout!.toCanonical(csc.grad)), bits(csr.grad), `step ${step}: gradient`);
    oa.update(be); ob.update(be);
    assert.deepEqual(bits(csc.csr()!.values), bits(csr.value), `step ${step}: weights`);
    const sa = oa.getState(), sb = ob.getState();
    sa.buffers.forEach((b, i) => assert.deepEqual(bits(b), bits(sb.buffers[i]!), `step ${step}: state buffer ${i} in CSR order`));
  }
  // A state handed out by one order restores into the other.
  oa.setState(ob.getState());
  assert.deepEqual(oa.getState().buffers.map(bits), ob.getState().buffers.map(bits));
});

test('backwardInput gives the same dx in either order, on both backends', () => {
  const rng = new Rng(64);
  for (const b of [be, nativeBackend()]) {
    for (const [rows, cols, n] of [[7, 11, 5], [30, 40, 60], [12, 9, 130]] as const) {
      const { csc, csr } = twins(rng, rows, cols, 0.3);
      const dy = Float32Array.from({ length: rows * n }, () => rng.normal());
      const a = new Float32Array(cols * n).fill(NaN), c = new Float32Array(cols * n).fill(NaN);
      csc.backwardInput(b, dy, n, a); csr.backwardInput(b, dy, n, c);
      assert.deepEqual(bits(a), bits(c), `${b.name} ${rows}×${cols} n=${n}`);
    }
  }
});
