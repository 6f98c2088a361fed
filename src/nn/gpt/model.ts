// A decoder-only transformer (GPT-2 / nanoGPT layout) with explicit forward and backward, batch-last:
// token + position embeddings → L pre-LayerNorm blocks (x += attn(ln_1(x)); x += mlp(ln_2(x)), the MLP
// D → 4D → D with tanh-GELU) → ln_f → head (tied to the token embedding, or its own matrix) → logits [V × N].
// Every matrix (wte, wpe, c_attn, c_proj, c_fc, mlp c_proj, an untied head) is a WeightLayer, so it
// can be masked and is stored sparse below the threshold like any winnow layer.
import type { Backend, F32, I32, U8 } from '../../backend/backend.js';
import type { Param } from '../layer.js';
import { Scratch } from '../layer.js';
import { Linear } from '../linear.js';
import { WeightLayer, type StorageOptions } from '../weight-layer.js';
import { attentionBackward, attentionForward, gatherRows, positions, scatterAddRows, type Table } from './ops.js';

export interface GptConfig {
  layers: number;
  heads: number;
  /** embedding width D (a multiple of heads) */
  dim: number;
  /** context length T (positions) */
  context: number;
  vocab: number;
  /** the head shares the token embedding's matrix */
  tied: boolean;
  /** the linear layers and LayerNorms have biases (GPT-2); false: none, as nanoGPT's default bias=False */
  bias: boolean;
}

/** A lookup table [rows × D] (token or position embedding, or an untied head without bias): a maskable weight matrix. */
export class Matrix extends WeightLayer {
  readonly kind = 'fc' as const;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  private x: F32 = new Float32Array(0);
  private readonly out = new Scratch(true);
  private readonly dxBuf = new Scratch(true);

  constructor(name: string, rows: number, cols: number, options: StorageOptions = {}) {
    super(name, rows, cols, 'none', options);
    this.inShape = [cols]; this.outShape = [rows];
  }
  fans(): { fanIn: number; fanOut: number } { return { fanIn: this.weights.cols, fanOut: this.weights.rows }; }
  override params(): Param[] { return [{ name: `${this.name}.weight`, value: this.weights.value, grad: this.weights.grad }]; }
  table(): Table { const csr = this.weights.csr(); return { dense: csr ? null : this.weights.value, csr }; }
  /** As a head: y[rows × n] = W·x, no bias. */
  forward(be: Backend, x: F32, n: number): F32 {
    this.x = x;
    const y = this.out.get(this.weights.rows * n, be);
    this.weights.forward(be, x, n, y);
    return y;
  }
  /** As a head: overwrites the weight gradient; returns dx. */
  backward(be: Backend, dy: F32, n: number, needInput: boolean): F32 | null {
    const dx = needInput ? this.dxBuf.get(this.weights.cols * n, be) : null;
    this.weights.backward(be, dy, this.x, n, dx);
    return dx;
  }
  /** Zeroes the gradient at pruned entries of dense-masked storage (after a scatter-add). */
  maskGrad(be: Backend): void { const m: U8 | null = this.weights.mask; if (m) be.applyMask(this.weights.grad, m, m.length); }
}

export class LayerNorm {
  readonly gamma: F32; readonly beta: F32; readonly dgamma: F32; readonly dbeta: F32;
  /** false: beta is not a parameter (stays 0), as nanoGPT's LayerNorm with bias=False */
  hasBias = true;
  private x: F32 = new Float32Array(0);
  private readonly y = new Scratch(true); private readonly dx = new Scratch(true);
  private readonly mean = new Scratch(true); private readonly rstd = new Scratch(true);
  constructor(readonly name: string, readonly dim: number) {
    this.gamma = new Float32Array(dim).fill(1); this.beta = new Float32Array(dim);
    this.dgamma = new Float32Array(dim); this.dbeta = new Float32Array(dim);
  }
  params(): Param[] {
    const w = { name: `${this.name}.weight`, value: this.gamma, grad: this.dgamma };
    return this.hasBias ? [w, { name: `${this.name}.bias`, value: this.beta, grad: this.dbeta }] : [w];
  }
  forward(be: Backend, x: F32, n: number): F32 {
    this.x = x;
    const y = this.y.get(this.dim * n, be);
    be.layerNormForward(x, this.gamma, this.beta, this.dim, n, y, this.mean.get(n), this.rstd.get(n));
    return y;
  }
  /** Adds dL/dx into `into` when given (overwrites it when `overwrite`), else returns its own buffer. */
  backward(be: Backend, dy: F32, n: number, into: F32 | null, overwrite = false): F32 {
    const dx = into ?? this.dx.get(this.dim * n, be);
    be.layerNormBackward(dy, this.x, this.gamma, this.mean.get(n), this.rstd.get(n), this.dim, n, dx, this.dgamma, this.dbeta, into !== null && !overwrite);
    return dx;
  }
}

export class Block {
  readonly ln1: LayerNorm; readonly attn: Linear; readonly proj: Linear;
  readonly ln2: LayerNorm; readonly fc: Linear; readonly fcProj: Linear;
  private readonly att = new Scratch(true); private readonly probs = new Scratch(true);
  private readonly dqkv = new Scratch(true); private readonly gelu = new Scratch(true);
  private qkv: F32 = new Float32Array(0); private geluGrad: F32 = new Float32Array(0);
  private B = 0; private T = 0;

  constructor(readonly name: string, readonly dim: number, readonly heads: number, options: StorageOptions, bias = true) {
    this.ln1 = new LayerNorm(`${name}.ln_1`, dim);
    this.attn = new Linear(`${name}.attn.c_attn`, dim, 3 * dim, 'none', options);
    this.proj = new Linear(`${name}.attn.c_proj`, dim, dim, 'none', options);
    this.ln2 = new LayerNorm(`${name}.ln_2`, dim);
    this.fc = new Linear(`${name}.mlp.c_fc`, dim, 4 * dim, 'none', options);
    this.fcProj = new Linear(`${name}.mlp.c_proj`, 4 * dim, dim, 'none', options);
    if (!bias) for (const l of [this.ln1, this.ln2, this.attn, this.proj, this.fc, this.fcProj]) l.hasBias = false;
  }

  weightLayers(): WeightLayer[] { return [this.attn, this.proj, this.fc, this.fcProj]; }
  params(): Param[] {
    return [...this.ln1.params(), ...this.attn.params(), ...this.proj.params(), ...this.ln2.params(), ...this.fc.params(), ...this.fcProj.params()];
  }

  /** x [D × B·T] → the block's output (its own buffer); x must stay unchanged until backward. */
  forward(be: Backend, x: F32, B: number, T: number): F32 {
    const D = this.dim, N = B * T;
    this.B = B; this.T = T;
    this.qkv = this.attn.forward(be, this.ln1.forward(be, x, N), N);
    const y = this.att.get(D * N, be);
    attentionForward(be, this.qkv, B, T, this.heads, D, y, this.probs.get(B * this.heads * T * T));
    // the residual adds land on the projections' own output buffers (kept until their next forward), fused where sparse
    const mid = this.proj.forward(be, y, N, null, x);
    const g = this.gelu.get(4 * D * N, be);
    // g = GELU(c_fc's output), and c_fc's output buffer then holds GELU' of it (its only use: the GELU's backward, one
    // multiply there instead of the whole GELU's derivative), fused with the product where sparse
    this.geluGrad = this.fc.forward(be, this.ln2.forward(be, mid, N), N, g);
    const out = this.fcProj.forward(be, g, N, null, mid);
    return out;
  }

  /** dout [D × N] (modified: becomes dL/dx, returned). */
  backward(be: Backend, dout: F32): F32 {
    const D = this.dim, B = this.B, T = this.T, N = B * T;
    const dg = this.fcProj.backward(be, dout, N, true, this.geluGrad)!;  // through the GELU's backward already
    const dln2 = this.fc.backward(be, dg, N, true)!;
    this.ln2.backward(be, dln2, N, dout); // dout is now dL/dmid
    const dy = this.proj.backward(be, dout, N, true)!;
    const dqkv = this.dqkv.get(3 * D * N, be);
    attentionBackward(be, dy, this.qkv, this.probs.get(B * this.heads * T * T), B, T, this.heads, D, dqkv);
    const dln1 = this.attn.backward(be, dqkv, N, true)!;
    this.ln1.backward(be, dln1, N, dout); // dout is now dL/dx
    return dout;
  }
}

export class Gpt {
  readonly wte: Matrix; readonly wpe: Matrix; readonly blocks: Block[]; readonly lnF: LayerNorm; readonly head: Matrix | null;
  private readonly emb = new Scratch(true); private readonly dlogits = new Scratch(true); private readonly dres = new Scratch(true);
  private tokens: I32 = new Int32Array(0); private B = 0; private T = 0;
  private pos: I32 = new Int32Array(0); private posT = 0;
  /** The position of every column (j mod T), kept across calls with the same T and N. */
  private positionsOf(T: number, N: number): I32 {
    if (this.posT !== T || this.pos.length !== N) { this.pos = positions(T, N); this.posT = T; }
    return this.pos;
  }

  constructor(readonly config: GptConfig, storage: StorageOptions = {}) {
    const { layers, heads, dim, context, vocab, tied } = config;
    const options: StorageOptions = { ...storage, wideColumns: true, alignedActivations: true }; // B·T activation columns
    this.wte = new Matrix('wte', vocab, dim, options);
    this.wpe = new Matrix('wpe', context, dim, options);
    this.blocks = Array.from({ length: layers }, (_, i) => new Block(`h.${i}`, dim, heads, options, config.bias));
    this.lnF = new LayerNorm('ln_f', dim);
    this.lnF.hasBias = config.bias;
    this.head = tied ? null : new Matrix('lm_head', vocab, dim, options);
  }

  /** Every weight matrix, in a fixed order (embeddings, blocks, head). */
  weightLayers(): WeightLayer[] {
    return [this.wte, this.wpe, ...this.blocks.flatMap((b) => b.weightLayers()), ...(this.head ? [this.head] : [])];
  }

  /** Every trainable array, with whether AdamW decays it (matrices yes; biases and LayerNorm no). */
  params(): Array<Param & { decay: boolean }> {
    const m = (ps: Param[], decay: boolean): Array<Param & { decay: boolean }> => ps.map((p) => ({ ...p, decay }));
    const out = [...m(this.wte.params(), true), ...m(this.wpe.params(), true)];
    for (const b of this.blocks) {
      out.push(...m(b.ln1.params(), false));
      for (const l of [b.attn, b.proj]) { const [w, ...bias] = l.params(); out.push({ ...w!, decay: true }, ...m(bias, false)); }
      out.push(...m(b.ln2.params(), false));
      for (const l of [b.fc, b.fcProj]) { const [w, ...bias] = l.params(); out.push({ ...w!, decay: true }, ...m(bias, false)); }
    }
    out.push(...m(this.lnF.params(), false));
    if (this.head) out.push(...m(this.head.params(), true));
    return out;
  }

  /** Logits [V × B·T] for tokens [B·T] (sequence b at columns b·T …), T ≤ context. */
  forward(be: Backend, tokens: I32, B: number, T: number): F32 {
    const { dim: D, context, vocab } = this.config;
    if (T > context) throw new Error(`gpt: sequence of ${T} tokens exceeds the context of ${context}`);
    const N = B * T;
    for (let j = 0; j < N; j++) if (!(tokens[j]! >= 0 && tokens[j]! < vocab)) throw new Error(`gpt: token ${tokens[j]} outside the vocabulary of ${vocab}`);
    this.tokens = tokens; this.B = B; this.T = T;
    let x = this.emb.get(D * N, be);
    gatherRows(be, this.wte.table(), vocab, D, tokens, N, x, false);
    gatherRows(be, this.wpe.table(), context, D, this.positionsOf(T, N), N, x, true);
    for (const b of this.blocks) x = b.forward(be, x, B, T);
    const h = this.lnF.forward(be, x, N);
    return (this.head ?? this.wte).forward(be, h, N);
  }

  /**
   * Forward + backward with cross-entropy against targets [B·T]: fills every gradient with
   * d(mean loss)/dθ and returns the mean loss in nats.
   */
  lossAndGrad(be: Backend, tokens: I32, targets: I32, B: number, T: number): number {
    const { dim: D, vocab } = this.config, N = B * T;
    const logits = this.forward(be, tokens, B, T);
    const dl = this.dlogits.get(vocab * N, be);
    const loss = be.softmaxCrossEntropyWide(logits, targets, vocab, N, dl) / N;
    const headLayer = this.head ?? this.wte;
    const dh = headLayer.backward(be, dl, N, true)!;
    const dx = this.lnF.backward(be, dh, N, this.dres.get(D * N, be), true);  // the residual stream's gradient starts here
    let g = dx;
    for (let i = this.blocks.length - 1; i >= 0; i--) g = this.blocks[i]!.backward(be, g);
    // embeddings: wte's gradient already holds the tied head's part; the untied case starts from zero
    if (this.head) this.wte.weights.grad.fill(0);
    this.wpe.weights.grad.fill(0);
    scatterAddRows(be, this.wte.table(), this.wte.weights.grad, vocab, D, this.tokens, N, g);
    scatterAddRows(be, this.wpe.table(), this.wpe.weights.grad, this.config.context, D, this.positionsOf(this.T, N), N, g);
    this.wte.maskGrad(be); this.wpe.maskGrad(be);
    return loss;
  }

  /** Mean loss (nats) of predicting targets, forward only. */
  loss(be: Backend, tokens: I32, targets: I32, B: number, T: number): number {
    const { vocab } = this.config, N = B * T;
    const logits = this.forward(be, tokens, B, T);
    return be.softmaxCrossEntropyWide(logits, targets, vocab, N, this.dlogits.get(vocab * N, be)) / N;
  }

  parameterCount(): number { return this.params().reduce((a, p) => a + p.value.length, 0); }
}

/** Parses `gpt:L-H-D-T` (layers, heads, width, context), optionally with `-untied`, then `-nobias`. */
export function parseGptSpec(spec: string): Omit<GptConfig, 'vocab'> | null {
  const m = /^gpt:(\d+)-(\d+)-(\d+)-(\d+)(-untied)?(-nobias)?$/.exec(spec);
  if (!m) return null;
  const [layers, heads, dim, context] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  return { layers, heads, dim, context, tied: !m[5], bias: !m[6] };
}

export function isGptSpec(spec: string): boolean { return spec.startsWith('gpt:'); }

