// The LeNet-300-100 layer-1 training step's data, shared by bench/kernels and bench/native-ab: W [300×784] as a
// random mask (CSR plus the CSC index), X [784×60] and dY [300×60].
// X is laid out as the trainer lays out a batch for a Linear first layer (Sequential.inputStride): rows 64 floats
// apart, 64-byte aligned, so the sparse kernels read it in place; dY as a sparse ReLU layer's backward gets it from
// the ReLU's backward (Linear.backward: reluBackwardTo), laid out the same way.
import { cscIndex } from '../src/backend/csc.js';
import type { NativeBackend } from '../src/backend/native.js';
import type { Rng } from '../src/util/rng.js';

export const ROWS = 300, COLS = 784, BATCH = 60, LDX = Math.ceil(BATCH / 16) * 16;

export function randF32(rng: Rng, len: number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** A [rows × BATCH] activation at stride LDX, aligned as the trainer allocates it (padding lanes zero). */
export function padded(nb: NativeBackend, rng: Rng, rows: number): Float32Array {
  const a = nb.allocActivations!(rows * LDX);
  for (let r = 0; r < rows; r++) a.set(randF32(rng, BATCH), r * LDX);
  return a;
}

export interface Csr { rowPtr: Int32Array; colIdx: Int32Array; values: Float32Array; colPtr: Int32Array; rowIdx: Int32Array; perm: Int32Array }

/** A random layer-1 mask at `density` (each weight kept independently) as CSR plus the CSC index. */
export function randomLayer(rng: Rng, density: number): Csr { return randomCsrOf(rng, ROWS, COLS, density); }

/** A random rows × cols mask at `density` as CSR plus the CSC index. */
export function randomCsrOf(rng: Rng, rows: number, cols: number, density: number): Csr {
  const rowPtr = new Int32Array(rows + 1), idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (rng.next() < density) idx.push(c);
    rowPtr[r + 1] = idx.length;
  }
  const colIdx = Int32Array.from(idx);
  return { rowPtr, colIdx, values: randF32(rng, idx.length), ...cscIndex(rows, cols, rowPtr, colIdx) };
}
