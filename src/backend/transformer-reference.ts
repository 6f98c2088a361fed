// The transformer kernels in plain TypeScript, column by column as the formulas read (the oracle for
// native/transformer.cc): tanh-GELU and LayerNorm (ε = 1e-5, biased variance) over [d × n] batch-last.
import type { F32 } from './backend.js';

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
