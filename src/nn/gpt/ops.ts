// The attention and embedding calls of the GPT (GELU and LayerNorm are backend kernels too: native/transformer.cc,
// src/backend/transformer-reference.ts), batch-last like every winnow kernel: an activation is
// [features × N] row-major with N = B·T columns, column b·T + t for sequence b, position t.
// Attention and the embedding gather/scatter-add are backend kernels (native: transformer.cc, gather.cc) with
// plain twins in src/backend/transformer-reference.ts; test/nn/gpt.test.ts diffs them and checks every backward
// numerically. Attention reads strided views of the fused QKV activation, so no layer transposes. The softmax
// helpers below are plain TypeScript.
import type { Backend, F32, I32 } from '../../backend/backend.js';

/** Causal softmax of a [T × T] score matrix in place, row by row (row i keeps columns j ≤ i; the rest become 0). */
export function causalSoftmaxRows(s: F32, T: number): void {
  for (let i = 0; i < T; i++) {
    const o = i * T;
    let m = -Infinity;
    for (let j = 0; j <= i; j++) if (s[o + j]! > m) m = s[o + j]!;
    let sum = 0;
    for (let j = 0; j <= i; j++) { const e = Math.exp(s[o + j]! - m); s[o + j] = e; sum += e; }
    const inv = 1 / sum;
    for (let j = 0; j <= i; j++) s[o + j]! *= inv;
    for (let j = i + 1; j < T; j++) s[o + j] = 0;
  }
}

/** Softmax backward in place over causal rows: ds = p ⊙ (dp − Σ_k p·dp), written over dp. */
export function causalSoftmaxBackwardRows(p: F32, dp: F32, T: number): void {
  for (let i = 0; i < T; i++) {
    const o = i * T;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += p[o + j]! * dp[o + j]!;
    for (let j = 0; j <= i; j++) dp[o + j] = p[o + j]! * (dp[o + j]! - dot);
    for (let j = i + 1; j < T; j++) dp[o + j] = 0;
  }
}

/**
 * Causal multi-head self-attention from the fused projection qkv [3D × N] (rows: Q heads, K heads,
 * V heads; head h owns rows h·hd … (h+1)·hd − 1 of each) to y [D × N]; keeps the probabilities
 * p [B·H × T × T] for the backward. Per sequence b and head h: P = softmax(QᵀK/√hd, causal), Y = V·Pᵀ.
 * One fused backend kernel (native/transformer.cc; twin in src/backend/transformer-reference.ts): it
 * computes only the causal triangle, with no GEMM call per sequence and head.
 */
export function attentionForward(be: Backend, qkv: F32, B: number, T: number, H: number, D: number, y: F32, p: F32): void {
  be.causalAttentionForward(qkv, B, T, H, D, y, p);
}

/** The attention backward: dqkv [3D × N] overwritten from dy [D × N]. */
export function attentionBackward(be: Backend, dy: F32, qkv: F32, p: F32, B: number, T: number, H: number, D: number, dqkv: F32): void {
  be.causalAttentionBackward(dy, qkv, p, B, T, H, D, dqkv);
}

/** A [rows × D] table read row by row: dense row-major values, or CSR (only the kept entries). */
export interface Table {
  dense: F32 | null;
  csr: { rowPtr: I32; colIdx: I32; values: F32 } | null;
}

const NONE = new Int32Array(0);

/** out[d, j] (+)= table[idx[j], d] for j < N (Backend.embeddingGather; idx[j] < rows). */
export function gatherRows(be: Backend, t: Table, rows: number, D: number, idx: I32, N: number, out: F32, accumulate: boolean): void {
  if (t.dense) be.embeddingGather(t.dense, NONE, NONE, rows, D, idx, N, out, accumulate);
  else be.embeddingGather(t.csr!.values, t.csr!.rowPtr, t.csr!.colIdx, rows, D, idx, N, out, accumulate);
}

/** The gather's adjoint: grad[idx[j], d] += dx[d, j] (dense grad [rows × D], or the CSR-ordered grad at kept entries). */
export function scatterAddRows(be: Backend, t: Table, grad: F32, rows: number, D: number, idx: I32, N: number, dx: F32): void {
  if (t.dense) be.embeddingScatterAdd(grad, NONE, NONE, rows, D, idx, N, dx);
  else be.embeddingScatterAdd(grad, t.csr!.rowPtr, t.csr!.colIdx, rows, D, idx, N, dx);
}

/** The position of every column j = b·T + t of a batch: t, for the position embedding. */
export function positions(T: number, N: number): I32 {
  const p = new Int32Array(N);
  for (let j = 0; j < N; j++) p[j] = j % T;
  return p;
}
