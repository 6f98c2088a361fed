// Batch-1 incremental decoding of a Gpt with a key/value cache: each new token runs one column through
// every layer and attends over the keys and values cached for the positions before it, instead of
// recomputing the whole window as Gpt.forward does. The whole step is one backend call
// (Backend.prepareDecoder: native/decoder.cc, its plain twin src/backend/decoder-reference.ts), so a
// token costs its arithmetic, not a call per operation. Each weight matrix runs in its own format: by
// default (choice 'auto') the fastest of dense, sliced ELL and 2:4 timed on this machine (format-choice.ts,
// cached on disk, so a machine gives the same bits every run); 'rule' applies the fixed density rule
// (pickFormat, measured once on one machine, docs/GPT.md); the reference backend always follows the rule.
// test/nn/gpt-decode.test.ts holds every step's logits against the full forward on awkward shapes.
import type { Backend, DecoderFormat, DecoderMatrix, F32, PreparedDecoder } from '../../backend/backend.js';
import { toNm24 } from '../../backend/nm24-reference.js';
import type { WeightLayer } from '../weight-layer.js';
import { measuredFormat, type FormatTimingOptions } from './format-choice.js';
import type { Gpt } from './model.js';

/**
 * The fixed format rule (choice 'rule', and the reference backend), from batch-1 mat-vecs on the GPT's shapes (bench/gpt-generate.ts --kernels measures
 * them; docs/GPT.md has the table): below SELL_ALWAYS_BELOW density sliced ELL (faster than the 2:4
 * kernel there even when the pattern is 2:4); else a matrix whose every group of 4 columns holds at most
 * 2 nonzeros runs 2:4; else below SELL_BELOW density sliced ELL; dense from there up. CSR and bitmap are
 * never picked (slower than sliced ELL at every density measured), only forced. Without AVX-512 (the
 * sliced-ELL layer then takes four permutes and three blends per 8 lanes) it measured 0.63× dense at 50%
 * and 1.6× at 10%: there a matrix from SELL_ALWAYS_BELOW up that is not 2:4 runs dense.
 */
export const SELL_ALWAYS_BELOW = 0.25;
export const SELL_BELOW = 0.6;

/**
 * Matrices with fewer weights follow the rule even under 'auto': their mat-vec takes well under a
 * microsecond, so timing it measures the call more than the format, and the choice changes little.
 */
export const MEASURE_FROM = 16384;

/** 'auto': measured per matrix (native) or the rule (reference); 'rule': the fixed rule; else one format for every matrix. */
export type FormatChoice = 'auto' | 'rule' | DecoderFormat;

function countNonzeros(w: F32): number { let n = 0; for (let i = 0; i < w.length; i++) if (w[i] !== 0) n++; return n; }

/**
 * Which batch-1 format a [rows × cols] matrix with these weights runs in (see SELL_BELOW); `wide`: the
 * backend runs AVX-512 (or is the reference, which follows the AVX-512 choice).
 */
export function pickFormat(w: F32, rows: number, cols: number, choice: FormatChoice = 'auto', wide = true): DecoderFormat {
  if (choice === '2:4' && !toNm24(w, rows, cols)) return 'dense';  // forced 2:4 where the pattern is not
  if (choice === 'csr' && cols >= 65536) return 'bitmap';
  if (choice !== 'auto' && choice !== 'rule') return choice;
  const density = rows * cols > 0 ? countNonzeros(w) / (rows * cols) : 1;
  if (density < SELL_ALWAYS_BELOW) return 'sell';
  if (density <= 0.5 && toNm24(w, rows, cols)) return '2:4';
  return density < (wide ? SELL_BELOW : SELL_ALWAYS_BELOW) ? 'sell' : 'dense';
}

/**
 * Reorders the hidden units of an MLP for sliced ELL, whose slices of 16 rows pad every 32-column window
 * to the slice's fullest row: c_fc's rows are dealt into slices greedily — each slice starts from the
 * fullest row left and takes, 15 times, the row among the next GROUP_POOL (in fullest-first order) that
 * adds the fewest layers — and mlp.c_proj's columns follow in the same order, so GELU and the product see
 * the same units: the block's output is the same sum in another order (random 512 × 128 patterns at 10%,
 * simulated: fill 48% → 63–65%, a quarter fewer layers). Not when mlp.c_proj runs 2:4 (its groups of 4
 * columns would break). Rewrites fc and fcProj in place; deterministic.
 */
export function groupFcRows(fc: DecoderMatrix, fcProj: DecoderMatrix, hidden: number, dim: number): void {
  const w = fc.weights, nw = Math.ceil(dim / 32), need = new Int32Array(hidden * nw), key = new Float64Array(hidden);
  for (let r = 0; r < hidden; r++) {
    let most = 0, all = 0;
    for (let k = 0; k < nw; k++) {
      let n = 0;
      for (let c = 32 * k; c < Math.min(dim, 32 * k + 32); c++) if (w[r * dim + c] !== 0) n++;
      need[r * nw + k] = n + (n % 2);  // the layout pads each window's run to pairs
      most = Math.max(most, n); all += n;
    }
    key[r] = most * (dim + 1) + all;
  }
  const left = Array.from({ length: hidden }, (_, i) => i).sort((a, b) => key[b]! - key[a]! || a - b);
  const order: number[] = [], cur = new Int32Array(nw);
  while (left.length > 0) {
    const first = left.shift()!;
    order.push(first);
    for (let k = 0; k < nw; k++) cur[k] = need[first * nw + k]!;
    for (let n = 1; n < 16 && left.length > 0; n++) {
      let best = 0, bestAdd = Infinity, bestOwn = -1;
      for (let i = 0; i < Math.min(GROUP_POOL, left.length); i++) {
        const r = left[i]!;
        let add = 0, own = 0;
        for (let k = 0; k < nw; k++) { const v = need[r * nw + k]!; own += v; if (v > cur[k]!) add += v - cur[k]!; }
        if (add < bestAdd || (add === bestAdd && own > bestOwn)) { best = i; bestAdd = add; bestOwn = own; }
      }
      const r = left.splice(best, 1)[0]!;
      order.push(r);
      for (let k = 0; k < nw; k++) cur[k] = Math.max(cur[k]!, need[r * nw + k]!);
    }
  }
  const fw = new Float32Array(hidden * dim), fb = fc.bias ? new Float32Array(hidden) : null, pw = new Float32Array(dim * hidden);
  order.forEach((r, i) => {
    fw.set(w.subarray(r * dim, r * dim + dim), i * dim);
    if (fb) fb[i] = fc.bias![r]!;
    for (let d = 0; d < dim; d++) pw[d * hidden + i] = fcProj.weights[d * hidden + r]!;
  });
  fc.weights = fw; fc.bias = fb; fcProj.weights = pw;
}
/** Candidate rows per pick of groupFcRows (bounds its cost to hidden × GROUP_POOL × windows). */
export const GROUP_POOL = 64;

/** How one matrix of the decoder runs. */
export interface MatrixPlan { name: string; rows: number; cols: number; format: DecoderFormat; nnz: number }

export class GptDecoder {
  private readonly plans: MatrixPlan[] = [];
  private readonly dec: PreparedDecoder;
  private readonly logits: F32;
  private readonly vocab: number;

  /** The weights are copied: prepare again after the model changes. `timing`: the measured choice's cache and clock. */
  constructor(be: Backend, model: Gpt, choice: FormatChoice = 'auto', timing?: FormatTimingOptions) {
    const { layers, heads, dim, context, vocab } = model.config;
    const wide = be.name !== 'native' || be.detail === 'avx512';
    const measured = choice === 'auto' && be.name !== 'reference';
    const matrix = (l: WeightLayer, withBias: boolean): DecoderMatrix => {
      const w = l.weights.toDense(), { rows, cols } = l.weights;
      const format = measured && rows * cols >= MEASURE_FROM ? measuredFormat(be, w, rows, cols, timing) : pickFormat(w, rows, cols, choice, wide);
      this.plans.push({ name: l.name, rows, cols, format, nnz: countNonzeros(w) });
      return { format, weights: w, bias: withBias ? l.bias : null };
    };
    const blocks = model.blocks.map((b) => {
      const fc = matrix(b.fc, true), fcProj = matrix(b.fcProj, true);
      if (fc.format === 'sell' && fcProj.format !== '2:4') groupFcRows(fc, fcProj, 4 * dim, dim);
      return {
        ln1Gamma: b.ln1.gamma, ln1Beta: b.ln1.beta, ln2Gamma: b.ln2.gamma, ln2Beta: b.ln2.beta,
        attn: matrix(b.attn, true), proj: matrix(b.proj, true), fc, fcProj,
      };
    });
    const head = matrix(model.head ?? model.wte, false);
    this.dec = be.prepareDecoder({
      layers, heads, dim, context, vocab, wte: model.wte.weights.toDense(), wpe: model.wpe.weights.toDense(),
      blocks, lnFGamma: model.lnF.gamma, lnFBeta: model.lnF.beta, head,
    });
    this.logits = new Float32Array(vocab);
    this.vocab = vocab;
  }

  /** Tokens in the cache (the next token's position). */
  get length(): number { return this.dec.length; }
  /** Empties the cache. */
  reset(): void { this.dec.reset(); }
  /** Every matrix's format, blocks in order then the head. */
  matrices(): MatrixPlan[] { return this.plans.slice(); }

  /**
   * Appends a token at the next position and returns its logits [vocab] (a view, overwritten by the next
   * step). Throws when the cache is full (the context length) or the token is outside the vocabulary.
   */
  step(token: number): F32 {
    if (!(Number.isInteger(token) && token >= 0 && token < this.vocab)) throw new Error(`gpt: token ${token} outside the vocabulary of ${this.vocab}`);
    this.dec.step(token, this.logits);
    return this.logits;
  }
}
