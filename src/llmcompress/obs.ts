// The column-by-column optimal-brain-surgeon pass shared by SparseGPT and GPTQ (Frantar & Alistarh 2023;
// Frantar et al. 2023; IST-DASLab sparsegpt.py `fasterprune`, gptq.py `fasterquant`): with U the upper
// Cholesky factor of the damped H⁻¹, columns are visited in blocks of `blocksize`; in each block
//   - unstructured pruning picks the block's mask at once: the weights with the smallest w²/U_jj² over the
//     whole block, up to and including the sparsity quantile (the reference code's `<= thresh`);
//   - N:M picks, at every M-th column, the M−N smallest w²/U_jj² of each row among the next M columns;
//   - each column is pruned (masked to 0) and/or rounded onto the quantizer's grid, the error
//     err = (w − q)/U_ii is spread over the block's remaining columns (W[:, i:] −= err · U[i, i:]),
//   - and once the block is done, over all later columns at once (lazy batch update).
// `obsReference` is the same algorithm without lazy batching (every column's error goes to every later
// column immediately): the slow obvious twin the tests diff against.
import type { Pattern } from './pattern.js';

/** Rounds column j's values (one per row) onto a grid: q[r] for w[r] at (r, j). */
export type ColumnQuantizer = (w: Float64Array, j: number, out: Float64Array) => void;

export interface ObsOptions {
  prune: Pattern | null;
  quantize: ColumnQuantizer | null;
  blocksize: number;
  /** a mask fixed in advance (1 = kept; Wanda or magnitude before GPTQ): pruned weights stay 0, no selection */
  mask?: Uint8Array;
}

/** W [rows × cols] row-major float64 (modified: becomes the result); u from prepareHessian. Returns the kept mask. */
export function obsCompress(w: Float64Array, rows: number, cols: number, u: Float64Array, o: ObsOptions): Uint8Array {
  const keep = o.mask ? Uint8Array.from(o.mask) : new Uint8Array(rows * cols).fill(1);
  if (o.mask) o = { ...o, prune: null };
  const B = o.blocksize;
  const col = new Float64Array(rows), q = new Float64Array(rows), err = new Float64Array(rows * B);
  for (let i1 = 0; i1 < cols; i1 += B) {
    const i2 = Math.min(i1 + B, cols), count = i2 - i1;
    if (o.prune?.kind === 'unstructured' && o.prune.sparsity > 0) blockMask(w, rows, cols, u, i1, i2, o.prune.sparsity, keep);
    for (let i = i1; i < i2; i++) {
      if (o.prune?.kind === 'nm' && (i - i1) % o.prune.m === 0) nmMask(w, rows, cols, u, i, Math.min(i + o.prune.m, i2), o.prune, keep);
      const d = u[i * cols + i]!;
      for (let r = 0; r < rows; r++) col[r] = keep[r * cols + i] ? w[r * cols + i]! : 0;
      if (o.quantize) o.quantize(col, i, q); else q.set(col);
      const ui = i * cols;
      for (let r = 0; r < rows; r++) {
        const e = (w[r * cols + i]! - q[r]!) / d;
        err[r * B + (i - i1)] = e;
        const ro = r * cols;
        w[ro + i] = q[r]!;
        if (e !== 0) for (let j = i + 1; j < i2; j++) w[ro + j]! -= e * u[ui + j]!;
      }
    }
    // lazy batch update of every later column
    if (i2 < cols) {
      for (let r = 0; r < rows; r++) {
        const ro = r * cols, eo = r * B;
        for (let k = 0; k < count; k++) {
          const e = err[eo + k]!;
          if (e === 0) continue;
          const uk = (i1 + k) * cols;
          for (let j = i2; j < cols; j++) w[ro + j]! -= e * u[uk + j]!;
        }
      }
    }
  }
  return keep;
}

/** The same pass with every update applied at once (no lazy batching): the reference twin. */
export function obsReference(w: Float64Array, rows: number, cols: number, u: Float64Array, o: ObsOptions): Uint8Array {
  const keep = o.mask ? Uint8Array.from(o.mask) : new Uint8Array(rows * cols).fill(1);
  if (o.mask) o = { ...o, prune: null };
  const col = new Float64Array(rows), q = new Float64Array(rows);
  for (let i = 0; i < cols; i++) {
    const i1 = i - (i % o.blocksize), i2 = Math.min(i1 + o.blocksize, cols);
    if (i === i1 && o.prune?.kind === 'unstructured' && o.prune.sparsity > 0) blockMask(w, rows, cols, u, i1, i2, o.prune.sparsity, keep);
    if (o.prune?.kind === 'nm' && (i - i1) % o.prune.m === 0) nmMask(w, rows, cols, u, i, Math.min(i + o.prune.m, i2), o.prune, keep);
    for (let r = 0; r < rows; r++) col[r] = keep[r * cols + i] ? w[r * cols + i]! : 0;
    if (o.quantize) o.quantize(col, i, q); else q.set(col);
    for (let r = 0; r < rows; r++) {
      const e = (w[r * cols + i]! - q[r]!) / u[i * cols + i]!;
      w[r * cols + i] = q[r]!;
      for (let j = i + 1; j < cols; j++) w[r * cols + j]! -= e * u[i * cols + j]!;
    }
  }
  return keep;
}

/** Unstructured: prune every (r, j) of columns [i1, i2) with w²/U_jj² ≤ the block's sparsity quantile. */
function blockMask(w: Float64Array, rows: number, cols: number, u: Float64Array, i1: number, i2: number, sparsity: number, keep: Uint8Array): void {
  const count = i2 - i1, tmp = new Float64Array(rows * count);
  for (let r = 0; r < rows; r++) for (let j = i1; j < i2; j++) { const d = u[j * cols + j]!; tmp[r * count + j - i1] = (w[r * cols + j]! ** 2) / (d * d); }
  const sorted = Float64Array.from(tmp).sort();
  const thresh = sorted[Math.floor(tmp.length * sparsity)]!;
  for (let r = 0; r < rows; r++) for (let j = i1; j < i2; j++) if (tmp[r * count + j - i1]! <= thresh) keep[r * cols + j] = 0;
}

/** N:M: among columns [i, end) prune the M−N smallest w²/U_jj² of each row (ties: lower column first). */
function nmMask(w: Float64Array, rows: number, cols: number, u: Float64Array, i: number, end: number, p: { n: number; m: number }, keep: Uint8Array): void {
  const idx: number[] = [];
  for (let j = i; j < end; j++) idx.push(j);
  for (let r = 0; r < rows; r++) {
    const s = idx.map((j) => [(w[r * cols + j]! ** 2) / (u[j * cols + j]! ** 2), j] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let k = 0; k < p.m - p.n && k < s.length; k++) keep[r * cols + s[k]![1]] = 0;
  }
}
