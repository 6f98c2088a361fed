// Float64 linear algebra for the Hessian machinery of SparseGPT and GPTQ (IST-DASLab sparsegpt.py /
// gptq.py): H = 2XXᵀ/nsamples, dead inputs, 1% mean-diagonal damping, and the upper Cholesky factor U of
// H⁻¹ (torch: cholesky → cholesky_inverse → cholesky(upper=True)), whose rows drive the column-by-column
// error compensation. Dense square matrices, row-major Float64Array.
import { UserError } from '../util/errors.js';

/** Accumulates H = (2 / nsamples) Σ x xᵀ over calibration tokens, as SparseGPT's add_batch (nsamples counts sequences). */
export class Hessian {
  readonly h: Float64Array;
  /** Σ_n x_j² per input (Wanda's ‖X_j‖₂², before the 1/nsamples of its scaler_row) */
  readonly sq: Float64Array;
  sequences = 0;
  constructor(readonly n: number) { this.h = new Float64Array(n * n); this.sq = new Float64Array(n); }

  /** x: [n × tokens] batch-last (column = token) from `sequences` sequences. */
  add(x: Float32Array, tokens: number, sequences: number): void {
    const n = this.n, h = this.h, K = 8;
    // rank-8 updates of the upper triangle: 8 tokens per sweep over H (H is the memory traffic)
    const tb = new Float64Array(K * n);
    for (let t0 = 0; t0 < tokens; t0 += K) {
      const k = Math.min(K, tokens - t0);
      tb.fill(0);
      for (let i = 0; i < n; i++) for (let q = 0; q < k; q++) tb[q * n + i] = x[i * tokens + t0 + q]!;
      for (let i = 0; i < n; i++) {
        const a0 = tb[i]!, a1 = tb[n + i]!, a2 = tb[2 * n + i]!, a3 = tb[3 * n + i]!, a4 = tb[4 * n + i]!, a5 = tb[5 * n + i]!, a6 = tb[6 * n + i]!, a7 = tb[7 * n + i]!;
        this.sq[i]! += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3 + a4 * a4 + a5 * a5 + a6 * a6 + a7 * a7;
        const row = i * n;
        for (let j = i; j < n; j++) {
          h[row + j]! += a0 * tb[j]! + a1 * tb[n + j]! + a2 * tb[2 * n + j]! + a3 * tb[3 * n + j]! + a4 * tb[4 * n + j]! + a5 * tb[5 * n + j]! + a6 * tb[6 * n + j]! + a7 * tb[7 * n + j]!;
        }
      }
    }
    this.sequences += sequences;
  }

  /** The same sums one token at a time (the slow obvious twin of add, for the tests). */
  addReference(x: Float32Array, tokens: number, sequences: number): void {
    const n = this.n;
    for (let t = 0; t < tokens; t++) {
      for (let i = 0; i < n; i++) {
        const a = x[i * tokens + t]!;
        this.sq[i]! += a * a;
        for (let j = i; j < n; j++) this.h[i * n + j]! += a * x[j * tokens + t]!;
      }
    }
    this.sequences += sequences;
  }

  /** H itself (symmetric, both triangles), scaled 2/nsamples. */
  matrix(): Float64Array {
    const n = this.n, out = new Float64Array(n * n), s = 2 / Math.max(1, this.sequences);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) { const v = this.h[i * n + j]! * s; out[i * n + j] = v; out[j * n + i] = v; }
    return out;
  }

  /** Wanda's scaler_row: ‖X_j‖₂² / nsamples. */
  scalerRow(): Float64Array { const s = 1 / Math.max(1, this.sequences); return this.sq.map((v) => v * s); }
}

/** Lower Cholesky factor L (H = L Lᵀ) in place of a copy; throws when H is not positive definite. */
export function cholesky(a: Float64Array, n: number, what = 'matrix'): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    if (!(d > 0)) throw new UserError(`${what}: the damped Hessian is not positive definite at column ${j} (too little calibration data? raise --calibration-samples or --damp)`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      const ri = i * n, rj = j * n;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = s / ljj;
    }
  }
  return l;
}

/** (L Lᵀ)⁻¹ from the lower factor (torch.cholesky_inverse): Linv = L⁻¹, then Linvᵀ Linv. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const li = new Float64Array(n * n); // lower triangular L⁻¹
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = s / l[i * n + i]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      out[i * n + j] = s; out[j * n + i] = s;
    }
  }
  return out;
}

export interface Prepared {
  /** upper Cholesky factor of the damped H⁻¹, row-major n × n (zeros below the diagonal) */
  u: Float64Array;
  /** inputs that never fire (H_jj = 0): their weight columns are zeroed, as the reference code does */
  dead: Uint8Array;
}

/** Dead inputs, damping (percdamp · mean diag), and U = chol(H⁻¹)ᵀ-upper, all in float64. */
export function prepareHessian(hIn: Float64Array, n: number, percdamp: number, what: string): Prepared {
  const h = Float64Array.from(hIn);
  const dead = new Uint8Array(n);
  for (let j = 0; j < n; j++) if (h[j * n + j] === 0) { dead[j] = 1; h[j * n + j] = 1; }
  let mean = 0;
  for (let j = 0; j < n; j++) mean += h[j * n + j]!;
  mean /= n;
  const damp = percdamp * mean;
  for (let j = 0; j < n; j++) h[j * n + j]! += damp;
  const hinv = choleskyInverse(cholesky(h, n, what), n);
  const lo = cholesky(hinv, n, what);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = lo[i * n + j]!;
  return { u, dead };
}
