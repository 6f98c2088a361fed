// The transformer kernels in plain TypeScript, column by column as the formulas read (the oracle for
// native/transformer.cc): tanh-GELU and LayerNorm (ε = 1e-5, biased variance) over [d × n] batch-last,
// causal multi-head attention element by element (float64 sums), and the embedding gather and scatter-add.
import type { F32, I32 } from './backend.js';

const K = Math.sqrt(2 / Math.PI);

export function geluForward(x: F32, y: F32, len: number): void {
  for (let i = 0; i < len; i++) { const v = x[i]!; y[i] = 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v * v * v))); }
}

export function geluBackward(x: F32, dy: F32, dx: F32, len: number): void {
  for (let i = 0; i < len; i++) {
    const v = x[i]!, t = Math.tanh(K * (v + 0.044715 * v * v * v));
    dx[i] = dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v));
  }
}

/** y = GELU(x) and dydx = gelu'(x), the two formulas above (dydx may alias x: each x is read before it is written). */
export function geluForwardWithGrad(x: F32, y: F32, dydx: F32, len: number): void {
  for (let i = 0; i < len; i++) {
    const v = x[i]!, t = Math.tanh(K * (v + 0.044715 * v * v * v));
    y[i] = 0.5 * v * (1 + t);
    dydx[i] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v);
  }
}

/** dx = dy · dydx (dx may alias dy). */
export function geluBackwardFromGrad(dydx: F32, dy: F32, dx: F32, len: number): void {
  for (let i = 0; i < len; i++) dx[i] = dy[i]! * dydx[i]!;
}

/** out[d, j] (+)= table[idx[j], d]: dense [rows × D] table (rowPtr empty) or CSR (see Backend.embeddingGather). */
export function embeddingGather(table: F32, rowPtr: I32, colIdx: I32, rows: number, D: number, idx: I32, n: number, out: F32, accumulate: boolean): void {
  void rows;
  if (!accumulate) out.fill(0, 0, D * n);
  if (rowPtr.length === 0) {
    for (let j = 0; j < n; j++) { const r = idx[j]! * D; for (let d = 0; d < D; d++) out[d * n + j]! += table[r + d]!; }
  } else {
    for (let j = 0; j < n; j++) { const r = idx[j]!; for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) out[colIdx[q]! * n + j]! += table[q]!; }
  }
}

/** grad[idx[j], d] += dx[d, j]: dense grad (rowPtr empty) or CSR-ordered at the kept entries. */
export function embeddingScatterAdd(grad: F32, rowPtr: I32, colIdx: I32, rows: number, D: number, idx: I32, n: number, dx: F32): void {
  void rows;
  if (rowPtr.length === 0) {
    for (let j = 0; j < n; j++) { const r = idx[j]! * D; for (let d = 0; d < D; d++) grad[r + d]! += dx[d * n + j]!; }
  } else {
    for (let j = 0; j < n; j++) { const r = idx[j]!; for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) grad[q]! += dx[colIdx[q]! * n + j]!; }
  }
}

export function layerNormForward(x: F32, gamma: F32, beta: F32, d: number, n: number, y: F32, mean: F32, rstd: F32): void {
  if (d === 0 && n > 0) throw new Error('layerNormForward: d must be at least 1');
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < d; r++) s += x[r * n + j]!;
    const mu = s / d;
    let q = 0;
    for (let r = 0; r < d; r++) { const c = x[r * n + j]! - mu; q += c * c; }
    const rs = 1 / Math.sqrt(q / d + 1e-5);
    mean[j] = mu; rstd[j] = rs;
    for (let r = 0; r < d; r++) y[r * n + j] = (x[r * n + j]! - mu) * rs * gamma[r]! + beta[r]!;
  }
}

export function layerNormBackward(dy: F32, x: F32, gamma: F32, mean: F32, rstd: F32, d: number, n: number,
  dx: F32, dgamma: F32, dbeta: F32, accumulate: boolean): void {
  dgamma.fill(0, 0, d); dbeta.fill(0, 0, d);
  for (let j = 0; j < n; j++) {
    const mu = mean[j]!, rs = rstd[j]!;
    let a = 0, b = 0;
    for (let r = 0; r < d; r++) {
      const xh = (x[r * n + j]! - mu) * rs, g = dy[r * n + j]!;
      a += g * gamma[r]!; b += g * gamma[r]! * xh;
      dgamma[r]! += g * xh; dbeta[r]! += g;
    }
    a /= d; b /= d;
    for (let r = 0; r < d; r++) {
      const xh = (x[r * n + j]! - mu) * rs;
      const v = rs * (dy[r * n + j]! * gamma[r]! - a - xh * b);
      dx[r * n + j] = accumulate ? dx[r * n + j]! + v : v;
    }
  }
}

/** Causal attention, one score, probability and output element at a time (see Backend.causalAttentionForward). */
export function causalAttentionForward(qkv: F32, B: number, T: number, H: number, D: number, y: F32, p: F32): void {
  const N = B * T, hd = D / H, scale = 1 / Math.sqrt(hd);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const q = h * hd * N + b * T, k = (D + h * hd) * N + b * T, v = (2 * D + h * hd) * N + b * T, ph = (b * H + h) * T * T;
    for (let i = 0; i < T; i++) {
      const s = new Float64Array(i + 1);
      for (let j = 0; j <= i; j++) { let dot = 0; for (let d = 0; d < hd; d++) dot += qkv[q + d * N + i]! * qkv[k + d * N + j]!; s[j] = dot * scale; }
      let m = -Infinity;
      for (let j = 0; j <= i; j++) m = Math.max(m, s[j]!);
      let z = 0;
      for (let j = 0; j <= i; j++) { s[j] = Math.exp(s[j]! - m); z += s[j]!; }
      for (let j = 0; j < T; j++) p[ph + i * T + j] = j <= i ? s[j]! / z : 0;
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += p[ph + i * T + j]! * qkv[v + d * N + j]!;
        y[h * hd * N + b * T + d * N + i] = acc;
      }
    }
  }
}

/** Its backward: dP = dYᵀV, dV = dY·P, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = K·dSᵀ/√hd, dK = Q·dS/√hd. */
export function causalAttentionBackward(dy: F32, qkv: F32, p: F32, B: number, T: number, H: number, D: number, dqkv: F32): void {
  const N = B * T, hd = D / H, scale = 1 / Math.sqrt(hd);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const q = h * hd * N + b * T, k = (D + h * hd) * N + b * T, v = (2 * D + h * hd) * N + b * T, ph = (b * H + h) * T * T;
    const P = (i: number, j: number): number => p[ph + i * T + j]!;
    const dS = new Float64Array(T * T);
    for (let i = 0; i < T; i++) {
      const dP = new Float64Array(i + 1);
      for (let j = 0; j <= i; j++) { let s = 0; for (let d = 0; d < hd; d++) s += dy[q + d * N + i]! * qkv[v + d * N + j]!; dP[j] = s; }
      let dot = 0;
      for (let j = 0; j <= i; j++) dot += P(i, j) * dP[j]!;
      for (let j = 0; j <= i; j++) dS[i * T + j] = P(i, j) * (dP[j]! - dot);
    }
    for (let d = 0; d < hd; d++) for (let t = 0; t < T; t++) {
      let dv = 0, dq = 0, dk = 0;
      for (let i = t; i < T; i++) { dv += dy[q + d * N + i]! * P(i, t); dk += qkv[q + d * N + i]! * dS[i * T + t]!; }
      for (let j = 0; j <= t; j++) dq += dS[t * T + j]! * qkv[k + d * N + j]!;
      dqkv[v + d * N + t] = dv; dqkv[q + d * N + t] = dq * scale; dqkv[k + d * N + t] = dk * scale;
    }
  }
}
