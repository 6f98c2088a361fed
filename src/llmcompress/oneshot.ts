// One-shot compression of a GPT, layer by layer in order (Wanda / SparseGPT / GPTQ's sequential recipe):
// every linear layer of every block (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj) is compressed after
// the ones before it, calibrated on the inputs it receives from the already-compressed model (a forward
// pass over the calibration sequences with that layer's input captured). Embeddings are not pruned (as in
// the papers); every matrix is stored in the chosen format (round-to-nearest unless GPTQ rounds it).
//
// Methods: magnitude (per layer, or global over all block layers), Wanda (|W_ij|·‖X_j‖₂, per output row),
// SparseGPT (obs.ts), each unstructured or N:M; quantization RTN (the format itself, at save) or GPTQ
// (obs.ts on the format's integer grid, grid.ts); SparseGPT + GPTQ in one pass = the joint mode; a mask
// from magnitude/Wanda with GPTQ = GPTQ with that mask held fixed.
import type { Backend } from '../backend/backend.js';
import type { Block, Gpt } from '../nn/gpt/model.js';
import { gatherRows, positions } from '../nn/gpt/ops.js';
import type { Linear } from '../nn/linear.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import type { FormatName, IntGridValues } from '../quant/formats.js';
import { decodeTensor, encodeTensor, type EncodingName } from '../sparse/encodings.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { fixGrid, gptqGrid, columnQuantizer, type FixedGrid } from './grid.js';
import { Hessian, prepareHessian } from './linalg.js';
import { obsCompress, obsReference } from './obs.js';
import { checkPatternFits, rowMask, smallest, type Pattern } from './pattern.js';

export const PRUNE_METHODS = ['none', 'magnitude', 'magnitude-global', 'wanda', 'sparsegpt'] as const;
export type PruneMethod = (typeof PRUNE_METHODS)[number];
export const QUANT_METHODS = ['rtn', 'gptq'] as const;
export type QuantMethod = (typeof QUANT_METHODS)[number];

export interface OneShotOptions {
  prune: PruneMethod;
  /** required unless prune = 'none' */
  pattern: Pattern | null;
  quant: QuantMethod;
  format: FormatName;
  /** format of the embeddings (and an untied head), which no method prunes (default: `format`) */
  embeddingFormat?: FormatName;
  /** columns per SparseGPT/GPTQ block (128) */
  blocksize: number;
  /** damping as a fraction of the mean Hessian diagonal (0.01) */
  percdamp: number;
  /** sequences per calibration forward pass (memory bound only; results do not depend on it) */
  batch: number;
  /** the slow reference twin of the OBS pass (tests) */
  reference?: boolean;
}

export const ONESHOT_DEFAULTS: Omit<OneShotOptions, 'prune' | 'pattern' | 'quant' | 'format'> = { blocksize: 128, percdamp: 0.01, batch: 16 };

/** How one matrix is to be stored: its format, encoding, and (GPTQ) the grid it was rounded onto. */
export interface StoredChoice { format: FormatName; encoding: EncodingName | 'auto'; grid?: IntGridValues }

export interface LayerReport { name: string; shape: [number, number]; density: number; method: string; seconds: number }

export interface OneShotResult {
  /** per weight-matrix name (`h.0.attn.c_attn.weight`): how to store it */
  storage: Map<string, StoredChoice>;
  layers: LayerReport[];
  calibration: { sequences: number; tokens: number };
}

/** `count` windows of `T` tokens at seeded uniform offsets of `data` (as the papers' random calibration segments). */
export function calibrationWindows(data: Int32Array, count: number, T: number, seed: number): Int32Array {
  if (data.length <= T) throw new UserError(`calibration text: ${data.length} tokens, need more than the context of ${T}`);
  const rng = new Rng(seed).stream('calibration'), out = new Int32Array(count * T);
  for (let b = 0; b < count; b++) { const o = rng.int(data.length - T); out.set(data.subarray(o, o + T), b * T); }
  return out;
}

/** The block layers one-shot methods compress, in forward order. */
export function targetLayers(model: Gpt): Linear[] { return model.blocks.flatMap((b) => [b.attn, b.proj, b.fc, b.fcProj]); }

/** The calibration hidden states entering the first block: token + position embeddings [D × S·T]. */
export function embedCalibration(be: Backend, model: Gpt, tokens: Int32Array, T: number): Float32Array {
  const D = model.config.dim, N = tokens.length, x = new Float32Array(D * N);
  gatherRows(be, model.wte.table(), model.config.vocab, D, tokens, N, x, false);
  gatherRows(be, model.wpe.table(), model.config.context, D, positions(T, N), N, x, true);
  return x;
}

/** Columns [c0, c1) of a row-major [rows × n] matrix. */
function columns(x: Float32Array, rows: number, n: number, c0: number, c1: number): Float32Array {
  const w = c1 - c0, out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * n + c0, r * n + c1), r * w);
  return out;
}

/**
 * Runs block `b` over the hidden states x [D × S·T] in batches of sequences: with `capture`, that layer's
 * inputs are accumulated into a Hessian; returns the block's outputs (the next block's inputs).
 */
export function runBlock(be: Backend, block: Block, x: Float32Array, D: number, T: number, batch: number, capture: Linear | null): { out: Float32Array; hessian: Hessian | null } {
  const N = x.length / D, seqs = N / T, out = new Float32Array(D * N);
  const hs = capture ? new Hessian(capture.weights.cols) : null;
  const orig = capture?.forward;
  if (capture) capture.forward = function (this: Linear, b: Backend, xin: Float32Array, n: number) { hs!.add(xin, n, n / T); return orig!.call(this, b, xin, n); };
  try {
    for (let s = 0; s < seqs; s += batch) {
      const nb = Math.min(batch, seqs - s), c0 = s * T, c1 = (s + nb) * T, n = c1 - c0;
      const y = block.forward(be, columns(x, D, N, c0, c1), nb, T);
      for (let r = 0; r < D; r++) out.set(y.subarray(r * n, (r + 1) * n), r * N + c0);
    }
  } finally { if (capture) capture.forward = orig!; }
  return { out, hessian: hs };
}

/** The values a matrix holds once stored (RTN in its format and encoding): what later layers see. */
function storedValues(l: WeightLayer, c: StoredChoice): Float32Array {
  const w = l.weights.toDense();
  if (c.format === 'fp32') return w;
  return decodeTensor(encodeTensor(`${l.name}.weight`, w, [l.weights.rows, l.weights.cols], c.format, c.encoding, c.grid));
}

function setStored(l: WeightLayer, w: Float32Array): void {
  const mask = new Uint8Array(w.length);
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) { mask[i] = 1; nnz++; }
  l.setWeights(w, nnz === w.length ? null : mask);
}

export function checkOneShot(o: OneShotOptions): void {
  if (o.prune !== 'none' && !o.pattern) throw new UserError(`--prune ${o.prune}: give --sparsity S or --nm N:M`);
  if (o.prune === 'none' && o.pattern) throw new UserError('--sparsity/--nm need a pruning method: --prune magnitude|magnitude-global|wanda|sparsegpt');
  if (o.prune === 'magnitude-global' && o.pattern?.kind === 'nm') throw new UserError('--prune magnitude-global: N:M is per row by definition; use --prune magnitude with --nm');
  if (o.quant === 'gptq') {
    const g = gptqGrid(o.format);
    if (g.per === 'group' && o.prune !== 'none') throw new UserError(`--quant gptq --format ${o.format}: pruned matrices are stored sparse, where the groups of 128 follow the nonzeros; use a per-channel format (int4-channel, int8-channel, …) with pruning`);
  }
  if (!(o.blocksize >= 1 && Number.isInteger(o.blocksize))) throw new UserError(`--blocksize: expected a positive integer, got ${o.blocksize}`);
  if (o.pattern?.kind === 'nm' && o.blocksize % o.pattern.m !== 0) throw new UserError(`--blocksize ${o.blocksize}: must be a multiple of M = ${o.pattern.m}`);
  if (!(o.percdamp >= 0 && o.percdamp < 10)) throw new UserError(`--damp: expected a fraction in [0, 10), got ${o.percdamp}`);
}

/**
 * Compresses `model` in place (weights and masks become what the file will hold) and returns how to
 * store each matrix. `calibration` is [sequences × T] token ids (T = the model's context).
 */
export function oneShot(be: Backend, model: Gpt, calibration: Int32Array, o: OneShotOptions, hooks: { onLayer?(r: LayerReport, i: number, total: number): void } = {}): OneShotResult {
  checkOneShot(o);
  const T = model.config.context;
  if (calibration.length === 0 || calibration.length % T !== 0) throw new Error(`oneShot: calibration of ${calibration.length} tokens is not whole windows of ${T}`);
  const targets = targetLayers(model);
  for (const l of targets) if (o.pattern) checkPatternFits(o.pattern, l.weights.cols, l.name);
  const storage = new Map<string, StoredChoice>();
  const rtn: StoredChoice = { format: o.format, encoding: 'auto' };
  // embeddings (and an untied head) are stored RTN in the format; later layers see them so
  const emb: StoredChoice = { format: o.embeddingFormat ?? o.format, encoding: 'auto' };
  for (const l of model.weightLayers()) if (!targets.includes(l as Linear)) { storage.set(`${l.name}.weight`, emb); setStored(l, storedValues(l, emb)); }

  // global magnitude: one threshold over every block layer (the k smallest |w| overall)
  let globalMasks: Map<Linear, Uint8Array> | null = null;
  if (o.prune === 'magnitude-global' && o.pattern?.kind === 'unstructured') {
    const all: Array<[number, number, number]> = [];
    targets.forEach((l, li) => { const w = l.weights.toDense(); for (let i = 0; i < w.length; i++) all.push([Math.abs(w[i]!), li, i]); });
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    globalMasks = new Map(targets.map((l) => [l, new Uint8Array(l.weights.rows * l.weights.cols).fill(1)]));
    const k = Math.floor(all.length * o.pattern.sparsity);
    for (let i = 0; i < k; i++) globalMasks.get(targets[all[i]![1]]!)![all[i]![2]] = 0;
  }

  const layers: LayerReport[] = [];
  const needH = o.prune === 'wanda' || o.prune === 'sparsegpt' || o.quant === 'gptq';
  const D = model.config.dim;
  let x = needH ? embedCalibration(be, model, calibration, T) : null;
  let li = 0;
  for (const block of model.blocks) {
    for (const l of [block.attn, block.proj, block.fc, block.fcProj]) {
      const hs = x ? runBlock(be, block, x, D, T, o.batch, l).hessian : null;
      compressLayer(l, hs, li++);
    }
    if (x) x = runBlock(be, block, x, D, T, o.batch, null).out; // the compressed block's outputs feed the next
  }
  return { storage, layers, calibration: { sequences: calibration.length / T, tokens: calibration.length } };

  function compressLayer(l: Linear, hs: Hessian | null, li: number): void {
    const t0 = performance.now();
    const { rows, cols } = l.weights, name = `${l.name}.weight`;
    const w32 = l.weights.toDense();
    // 1. the mask (magnitude, Wanda) chosen up front; SparseGPT chooses its own inside the pass
    let mask: Uint8Array | null = null;
    if (o.prune === 'magnitude' || o.prune === 'magnitude-global') {
      if (globalMasks) mask = globalMasks.get(l)!;
      else if (o.pattern!.kind === 'nm') mask = rowMask(Float64Array.from(w32, Math.abs), rows, cols, o.pattern!);
      else {
        mask = new Uint8Array(rows * cols).fill(1);
        const k = Math.floor(rows * cols * o.pattern!.sparsity);
        for (const i of smallest((i) => Math.abs(w32[i]!), Array.from({ length: rows * cols }, (_, i) => i), k)) mask[i] = 0;
      }
    } else if (o.prune === 'wanda') {
      const norm = hs!.scalerRow().map(Math.sqrt);
      const score = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) score[r * cols + j] = Math.abs(w32[r * cols + j]!) * norm[j]!;
      mask = rowMask(score, rows, cols, o.pattern!);
    }
    // 2. the OBS pass (SparseGPT, GPTQ, joint) or plain masking
    let grid: FixedGrid | null = null;
    let out: Float32Array;
    if (o.prune === 'sparsegpt' || o.quant === 'gptq') {
      const w = Float64Array.from(w32);
      if (o.quant === 'gptq') grid = fixGrid(gptqGrid(o.format), w, rows, cols);
      const { u, dead } = prepareHessian(hs!.matrix(), cols, o.percdamp, name);
      for (let j = 0; j < cols; j++) if (dead[j]) for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
      const run = o.reference ? obsReference : obsCompress;
      run(w, rows, cols, u, {
        prune: o.prune === 'sparsegpt' ? o.pattern : null, quantize: grid ? columnQuantizer(grid) : null, blocksize: o.blocksize,
        ...(mask ? { mask } : {}),
      });
      out = Float32Array.from(w);
    } else {
      out = Float32Array.from(w32);
      if (mask) for (let i = 0; i < out.length; i++) if (!mask[i]) out[i] = 0;
    }
    const choice: StoredChoice = grid
      ? { format: o.format, encoding: grid.grid.per === 'group' ? 'dense' : 'auto', grid: grid.values }
      : rtn;
    storage.set(name, choice);
    setStored(l, out);
    setStored(l, storedValues(l, choice)); // RTN (or the exact GPTQ grid): later layers calibrate on what the file holds
    const r: LayerReport = { name: l.name, shape: [rows, cols], density: l.weights.density, method: describe(o), seconds: (performance.now() - t0) / 1000 };
    layers.push(r);
    hooks.onLayer?.(r, li, targets.length);
  }
}

export function describe(o: Pick<OneShotOptions, 'prune' | 'pattern' | 'quant' | 'format' | 'embeddingFormat'>): string {
  const p = o.prune === 'none' ? '' : `${o.prune} ${o.pattern!.kind === 'nm' ? `${o.pattern!.n}:${o.pattern!.m}` : `${+(o.pattern!.sparsity * 100).toFixed(2)}%`}`;
  const q = o.format === 'fp32' ? '' : `${o.quant === 'gptq' ? 'gptq' : 'rtn'} ${o.format}`;
  const e = o.embeddingFormat && o.embeddingFormat !== o.format ? `emb ${o.embeddingFormat}` : '';
  return [p, q, e].filter(Boolean).join(' + ') || 'dense fp32';
}
