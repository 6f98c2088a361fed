// Batch-1 incremental decoding of a Gpt with a key/value cache: each new token runs one column through
// every layer (matrix–vector products on prepared matrices) and attends over the keys and values
// cached for the positions before it, instead of recomputing the whole window as Gpt.forward does.
// Each weight matrix runs in the format its pattern and density call for (pickFormat): dense, CSR
// (scalar or vector-gathered) or 2:4, chosen by a fixed rule measured once (docs/GPT.md), not timed at
// run time, so the same model and input give the same bits on every run.
// test/nn/gpt-decode.test.ts holds every step's logits against the full forward on awkward shapes.
import type { Backend, F32, InferenceNet, MatvecFormat } from '../../backend/backend.js';
import { toNm24 } from '../../backend/nm24-reference.js';
import type { WeightLayer } from '../weight-layer.js';
import type { Gpt, LayerNorm } from './model.js';

/**
 * The format rule, from batch-1 matrix–vector products on the GPT's shapes (128–1536 columns;
 * bench/gpt-generate.ts --kernels measures them): below SPARSE_BELOW density CSR with scalar loads (at
 * 10% about dense speed on matrices that fit the L2 cache, faster on larger ones; at 30% and 50%, 2–4×
 * slower; the gathering kernel was slower than the scalar one on every shape measured); else a matrix
 * whose every group of 4 columns holds at most 2 nonzeros runs 2:4 (1.1–1.7× faster than dense);
 * everything else dense.
 */
export const SPARSE_BELOW = 0.12;

export type FormatChoice = 'auto' | 'dense' | 'csr' | 'csr-gather';

/** Which batch-1 format a [rows × cols] matrix with these weights runs in (see SPARSE_BELOW). */
export function pickFormat(w: F32, rows: number, cols: number, choice: FormatChoice = 'auto'): MatvecFormat {
  if (choice !== 'auto') return choice;
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  const density = rows * cols > 0 ? nnz / (rows * cols) : 1;
  if (density < SPARSE_BELOW) return 'csr';
  return density <= 0.5 && toNm24(w, rows, cols) ? '2:4' : 'dense';
}

/** One matrix (with bias, or none) prepared for y = W·x + b at batch 1 in a chosen format. */
export interface PreparedMatrix { name: string; rows: number; cols: number; format: MatvecFormat; nnz: number; net: InferenceNet }

export function prepareMatrix(be: Backend, name: string, w: F32, rows: number, cols: number, bias: F32 | null, choice: FormatChoice = 'auto'): PreparedMatrix {
  const format = pickFormat(w, rows, cols, choice);
  const b = bias ?? new Float32Array(rows);
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  if (format === 'dense') return { name, rows, cols, format, nnz, net: be.prepareInference([{ rows, cols, relu: false, values: w, bias: b, format }]) };
  if (format === '2:4') {
    const { values, offsets } = toNm24(w, rows, cols)!;
    return { name, rows, cols, format, nnz, net: be.prepareInference([{ rows, cols, relu: false, values, offsets, bias: b, format }]) };
  }
  const rowPtr = new Int32Array(rows + 1), colIdx = new Int32Array(nnz), values = new Float32Array(nnz);
  let q = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) { const v = w[r * cols + c]!; if (v !== 0) { colIdx[q] = c; values[q++] = v; } }
    rowPtr[r + 1] = q;
  }
  return { name, rows, cols, format, nnz, net: be.prepareInference([{ rows, cols, relu: false, values, rowPtr, colIdx, bias: b, format }]) };
}

interface BlockPlan { ln1: LayerNorm; attn: PreparedMatrix; proj: PreparedMatrix; ln2: LayerNorm; fc: PreparedMatrix; fcProj: PreparedMatrix; keys: F32; vals: F32 }

export class GptDecoder {
  readonly blocks: BlockPlan[];
  readonly head: PreparedMatrix;
  private readonly wte: F32; private readonly wpe: F32;
  private len = 0;
  // one column of activations each
  private readonly x: F32; private readonly h: F32; private readonly qkv: F32; private readonly y: F32; private readonly a: F32;
  private readonly f: F32; private readonly g: F32; private readonly logits: F32; private readonly scores: F32;
  private readonly mean = new Float32Array(1); private readonly rstd = new Float32Array(1);

  /** The weights are copied: prepare again after the model changes. */
  constructor(private readonly be: Backend, private readonly model: Gpt, choice: FormatChoice = 'auto') {
    const { dim: D, context: T, vocab: V } = model.config;
    const prep = (l: WeightLayer, withBias: boolean): PreparedMatrix =>
      prepareMatrix(be, l.name, l.weights.toDense(), l.weights.rows, l.weights.cols, withBias ? l.bias : null, choice);
    this.blocks = model.blocks.map((b) => ({
      ln1: b.ln1, attn: prep(b.attn, true), proj: prep(b.proj, true), ln2: b.ln2, fc: prep(b.fc, true), fcProj: prep(b.fcProj, true),
      keys: new Float32Array(T * D), vals: new Float32Array(T * D),
    }));
    this.head = prep(model.head ?? model.wte, false);
    this.wte = model.wte.weights.toDense(); this.wpe = model.wpe.weights.toDense();
    this.x = new Float32Array(D); this.h = new Float32Array(D); this.qkv = new Float32Array(3 * D); this.y = new Float32Array(D);
    this.a = new Float32Array(D); this.f = new Float32Array(4 * D); this.g = new Float32Array(4 * D);
    this.logits = new Float32Array(V); this.scores = new Float32Array(T);
  }

  /** Tokens in the cache (the next token's position). */
  get length(): number { return this.len; }
  /** Empties the cache. */
  reset(): void { this.len = 0; }
  /** Every prepared matrix, blocks in order then the head. */
  matrices(): PreparedMatrix[] { return [...this.blocks.flatMap((b) => [b.attn, b.proj, b.fc, b.fcProj]), this.head]; }

  /**
   * Appends a token at the next position and returns its logits [vocab] (a view, overwritten by the next
   * step). Throws when the cache is full (the context length) or the token is outside the vocabulary.
   */
  step(token: number): F32 {
    const { dim: D, heads: H, context: T, vocab } = this.model.config;
    if (this.len >= T) throw new Error(`gpt decoder: the cache holds the whole context of ${T} tokens`);
    if (!(Number.isInteger(token) && token >= 0 && token < vocab)) throw new Error(`gpt: token ${token} outside the vocabulary of ${vocab}`);
    const be = this.be, t = this.len, x = this.x, h = this.h, qkv = this.qkv, y = this.y, hd = D / H, scale = 1 / Math.sqrt(hd);
    for (let d = 0; d < D; d++) x[d] = this.wte[token * D + d]! + this.wpe[t * D + d]!;
    const s = this.scores.subarray(0, t + 1);
    for (const b of this.blocks) {
      be.layerNormForward(x, b.ln1.gamma, b.ln1.beta, D, 1, h, this.mean, this.rstd);
      b.attn.net.forward(h, 1, qkv);
      b.keys.set(qkv.subarray(D, 2 * D), t * D);
      b.vals.set(qkv.subarray(2 * D, 3 * D), t * D);
      for (let hh = 0; hh < H; hh++) {
        // scores over positions 0..t: q·k_j/√hd, then softmax, then y = Σ_j p_j v_j (the full forward's math for row t)
        be.gemm(false, true, 1, t + 1, hd, scale, qkv.subarray(hh * hd), hd, b.keys.subarray(hh * hd), D, 0, s, t + 1);
        let m = -Infinity;
        for (let j = 0; j <= t; j++) if (s[j]! > m) m = s[j]!;
        let sum = 0;
        for (let j = 0; j <= t; j++) { const e = Math.exp(s[j]! - m); s[j] = e; sum += e; }
        const inv = 1 / sum;
        for (let j = 0; j <= t; j++) s[j]! *= inv;
        be.gemm(false, false, 1, hd, t + 1, 1, s, t + 1, b.vals.subarray(hh * hd), D, 0, y.subarray(hh * hd), hd);
      }
      b.proj.net.forward(y, 1, this.a);
      for (let d = 0; d < D; d++) x[d]! += this.a[d]!;
      be.layerNormForward(x, b.ln2.gamma, b.ln2.beta, D, 1, h, this.mean, this.rstd);
      b.fc.net.forward(h, 1, this.f);
      be.geluForward(this.f, this.g, 4 * D);
      b.fcProj.net.forward(this.g, 1, this.a);
      for (let d = 0; d < D; d++) x[d]! += this.a[d]!;
    }
    be.layerNormForward(x, this.model.lnF.gamma, this.model.lnF.beta, D, 1, h, this.mean, this.rstd);
    this.head.net.forward(h, 1, this.logits);
    this.len++;
    return this.logits;
  }
}
