// N:M structured pruning (Mishra et al. 2021, "Accelerating Sparse Deep Neural Networks"; NVIDIA's 2:4):
// in every group of M consecutive weights along a row, keep the N of largest |w| among the kept ones.
// Ties in |w| are broken by index (lower index kept), so the result is deterministic.
import { UserError } from '../util/errors.js';

/**
 * Returns a new mask keeping at most `n` weights in each group of `m` consecutive columns of every row.
 * `weights` and `mask` are row-major [rows × cols]; `cols` must be divisible by `m`. Weights already
 * pruned (mask 0) stay pruned and are never counted among the kept.
 */
export function pruneNM(weights: Float32Array, mask: Uint8Array, rows: number, cols: number, n: number, m: number): Uint8Array {
  if (!Number.isInteger(m) || m < 1) throw new UserError(`N:M pruning: M must be a positive integer, got ${m}`);
  if (!Number.isInteger(n) || n < 0 || n > m) throw new UserError(`N:M pruning: N must be an integer in [0, ${m}], got ${n}`);
  if (cols % m !== 0) throw new UserError(`N:M pruning: row length ${cols} is not divisible by M = ${m}`);
  if (weights.length !== rows * cols || mask.length !== rows * cols) throw new Error(`pruneNM: ${weights.length} weights / ${mask.length} mask entries for [${rows}, ${cols}]`);
  const out = new Uint8Array(mask.length);
  const idx: number[] = [];
  for (let g = 0; g < rows * cols; g += m) {
    idx.length = 0;
    for (let j = g; j < g + m; j++) if (mask[j]) idx.push(j);
    idx.sort((a, b) => Math.abs(weights[b]!) - Math.abs(weights[a]!) || a - b);
    for (let k = 0; k < Math.min(n, idx.length); k++) out[idx[k]!] = 1;
  }
  return out;
}
