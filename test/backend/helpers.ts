// Shared pieces of the native-vs-reference tests: the addon (loading it is required: a missing build
// fails the tests rather than skipping them), seeded random data, CSR/CSC builders and the error
// criterion |native − ref| ≤ 1e-5·Σ|terms| + 1e-30 with Σ|terms| computed in float64.
import assert from 'node:assert/strict';
import { cscIndex, type CscIndex } from '../../src/backend/csc.js';
import { loadNativeBackend, type NativeBackend, type Isa } from '../../src/backend/native.js';
import { Rng } from '../../src/util/rng.js';

export const REL_TOL = 1e-5;

export function nativeBackend(): NativeBackend {
  const r = loadNativeBackend();
  if ('error' in r) throw new Error(`native addon unavailable: ${r.error} (run npm run build:native)`);
  return r.backend;
}

/** Runs fn once per ISA level this CPU supports (AVX-512, AVX2, generic), restoring the best level after. */
export function forEachIsa(nb: NativeBackend, fn: (isa: Isa) => void): void {
  const isas = nb.supportedIsas();
  try {
    for (const isa of isas) { nb.setIsa(isa); fn(isa); }
  } finally {
    nb.setIsa(isas[0]!);
  }
}

export function randF32(rng: Rng, len: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** Picks a size: often an edge value around SIMD widths / tile sizes, else uniform in [0, max]. */
export function pickSize(rng: Rng, max: number): number {
  const edges = [0, 1, 2, 5, 6, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65];
  if (rng.next() < 0.35) { const e = edges[rng.int(edges.length)]!; if (e <= max) return e; }
  return rng.int(max + 1);
}

export interface Csr { rows: number; cols: number; rowPtr: Int32Array; colIdx: Int32Array; values: Float32Array }
export type Csc = CscIndex;

/** A random rows×cols CSR matrix: each entry present with probability density (0 and 1 included). */
export function randomCsr(rng: Rng, rows: number, cols: number, density: number): Csr {
  const rowPtr = new Int32Array(rows + 1);
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (density >= 1 || rng.next() < density) idx.push(c);
    rowPtr[r + 1] = idx.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(idx), values: randF32(rng, idx.length) };
}

/** The CSC index over the same nonzeros: perm[q] = position in the CSR arrays (rows ascending per column). */
export function cscOf(a: Csr): Csc { return cscIndex(a.rows, a.cols, a.rowPtr, a.colIdx); }

/** Asserts |got[i] − want[i]| ≤ tol·bound[i] + 1e-30 for i < len (bound: float64 Σ|terms|). */
export function assertClose(got: Float32Array, want: Float32Array, bound: Float64Array, what: string,
  len = got.length, tol = REL_TOL): void {
  assert.equal(got.length, want.length, `${what}: lengths differ`);
  for (let i = 0; i < len; i++) {
    const g = got[i]!, w = want[i]!;
    const ok = Math.abs(g - w) <= tol * bound[i]! + 1e-30 || (Number.isNaN(g) && Number.isNaN(w));
    if (!ok) assert.fail(`${what}: element ${i}: native ${g} vs reference ${w} (Σ|terms| ${bound[i]}, tol ${tol})`);
  }
}

/** Bit-exact equality (data-movement kernels), reporting the first differing element. */
export function assertExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: lengths differ`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i}: native ${got[i]} vs reference ${want[i]}`);
  }
}

export { Rng };

/** A dense [rows × cols] matrix with entries kept at the density, or (nm) 0, 1 or 2 kept per group of 4. */
export function randomSparseMatrix(rng: Rng, rows: number, cols: number, density: number, nm: boolean): Float32Array {
  const w = randF32(rng, rows * cols);
  for (let i = 0; i < w.length; i += nm ? 4 : 1) {
    if (!nm) { if (rng.next() >= density) w[i] = 0; continue; }
    const keep = rng.int(3), slots = rng.permutation(4).slice(0, keep);
    for (let k = 0; k < 4; k++) if (!slots.includes(k)) w[i + k] = 0;
  }
  return w;
}

/** W·x + bias summed in float64 (rounded once to float32), and Σ|terms| per row as the error bound's scale. */
export function matvecFloat64(w: Float32Array, rows: number, cols: number, bias: Float32Array | null, x: Float32Array): { want: Float32Array; bound: Float64Array } {
  const want = new Float32Array(rows), bound = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias?.[r] ?? 0, b = Math.abs(bias?.[r] ?? 0);
    for (let c = 0; c < cols; c++) { s += w[r * cols + c]! * x[c]!; b += Math.abs(w[r * cols + c]! * x[c]!); }
    want[r] = s; bound[r] = b;
  }
  return { want, bound };
}
