// What to remove: a sparsity in [0, 1) (unstructured) or an N:M pattern (keep N of every M consecutive
// weights along a row, as NVIDIA's 2:4). Parsing and checks for the flags; mask helpers shared by the
// pruning methods. Masks are Uint8Array, 1 = kept.
import { UserError } from '../util/errors.js';

export type Pattern = { kind: 'unstructured'; sparsity: number } | { kind: 'nm'; n: number; m: number };

export function checkSparsity(s: number, flag = '--sparsity'): number {
  if (!(Number.isFinite(s) && s >= 0 && s < 1)) throw new UserError(`${flag}: the fraction of weights removed must be in [0, 1), got ${s}`);
  return s;
}

/** Parses `N:M` (keep N of every M); N ≥ M or M < 1 is a UserError. */
export function parseNm(v: string, flag = '--nm'): { n: number; m: number } {
  const m = /^(\d+):(\d+)$/.exec(v.trim());
  if (!m) throw new UserError(`${flag} ${v}: expected N:M (keep N of every M weights along a row, e.g. 2:4)`);
  const n = Number(m[1]), mm = Number(m[2]);
  if (!(mm >= 2 && mm <= 256)) throw new UserError(`${flag} ${v}: M must be in [2, 256], got ${mm}`);
  if (!(n >= 1 && n < mm)) throw new UserError(`${flag} ${v}: N must be in [1, M) (N < M keeps fewer than all weights), got ${n}:${mm}`);
  return { n, m: mm };
}

export function patternLabel(p: Pattern): string {
  return p.kind === 'nm' ? `${p.n}:${p.m}` : `${Math.round(p.sparsity * 1000) / 10}%`;
}

/** Fraction of weights a pattern removes. */
export function patternSparsity(p: Pattern): number { return p.kind === 'nm' ? 1 - p.n / p.m : p.sparsity; }

export function checkPatternFits(p: Pattern, cols: number, name: string): void {
  if (p.kind === 'nm' && cols % p.m !== 0) throw new UserError(`${name}: ${p.n}:${p.m} needs a row length divisible by ${p.m}, found ${cols}`);
}

/**
 * Indices of the `k` smallest scores among idx (stable: equal scores → the lower index goes first,
 * as torch.sort(stable=True)). Returns them in ascending score order.
 */
export function smallest(score: (i: number) => number, idx: number[], k: number): number[] {
  return idx.map((i) => [score(i), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k).map((p) => p[1]);
}

/** Row-wise mask: prune the floor(cols·s) lowest scores of each row, or (M−N) of every M. */
export function rowMask(score: Float64Array, rows: number, cols: number, p: Pattern): Uint8Array {
  const mask = new Uint8Array(rows * cols).fill(1);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    if (p.kind === 'unstructured') {
      const k = Math.floor(cols * p.sparsity);
      for (const j of smallest((j) => score[o + j]!, Array.from({ length: cols }, (_, j) => j), k)) mask[o + j] = 0;
    } else {
      for (let g = 0; g < cols; g += p.m) {
        for (const j of smallest((j) => score[o + j]!, Array.from({ length: p.m }, (_, t) => g + t), p.m - p.n)) mask[o + j] = 0;
      }
    }
  }
  return mask;
}
