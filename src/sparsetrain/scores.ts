// Pruning at initialization: scores per weight and the global masks they give.
//   SNIP    (Lee et al., ICLR 2019; namhoonlee/snip-public): |w ⊙ ∂L/∂w| on one mini-batch, keep the global top-k.
//   GraSP   (Wang et al., ICLR 2020; alecwangcq/GraSP): −w ⊙ (H g), g = ∂L/∂w and H the Hessian of L (softmax at
//           temperature T = 200, 10 samples per class), both on the same batch; keep the k LOWEST scores (removing
//           the highest preserves gradient flow).
//   SynFlow (Tanaka et al., NeurIPS 2020; ganguli-lab/Synaptic-Flow, Pruners/pruners.py): data-free; every
//           parameter replaced by its absolute value, R = 1ᵀ f(1) for an all-ones input, score |w ⊙ ∂R/∂w|; 100
//           rounds, round r keeping the global top d^(r/R) (exponential schedule), scores recomputed on the masked net.
// All three rank every weight layer together (global), ties broken by the lower (layer, index). Scores are
// float64 (scorenet.ts); the PyTorch peer (bench/pytorch_sparse.py) computes the same in float64.
import type { Sequential } from '../nn/sequential.js';
import { UserError } from '../util/errors.js';
import { hessianVector, lossGradient, outputSumGradient, scoreOps, type ScoreOp, type WeightOp } from './scorenet.js';

export const SCORE_METHODS = ['snip', 'grasp', 'synflow'] as const;
export type ScoreMethod = typeof SCORE_METHODS[number];

export interface ScoreBatch { x: Float64Array; labels: Int32Array; n: number }

const weightOps = (ops: ScoreOp[]): WeightOp[] => ops.filter((o): o is WeightOp => o.kind === 'weight');

/** Applies masks (one per weight op, 1 = kept) to the float64 copy. */
function applyMasks(ops: ScoreOp[], masks: Uint8Array[] | null): void {
  if (!masks) return;
  weightOps(ops).forEach((o, i) => { const m = masks[i]!; for (let j = 0; j < o.w.length; j++) if (!m[j]) o.w[j] = 0; });
}

export function snipScores(model: Sequential, batch: ScoreBatch, masks: Uint8Array[] | null = null): Float64Array[] {
  const ops = scoreOps(model);
  applyMasks(ops, masks);
  const g = lossGradient(ops, batch.x, batch.labels, batch.n);
  return weightOps(ops).map((o, i) => o.w.map((w, j) => Math.abs(w * g[i]![j]!)));
}

export const GRASP_TEMPERATURE = 200;

export function graspScores(model: Sequential, batch: ScoreBatch, masks: Uint8Array[] | null = null, T = GRASP_TEMPERATURE): Float64Array[] {
  const ops = scoreOps(model);
  applyMasks(ops, masks);
  const g = lossGradient(ops, batch.x, batch.labels, batch.n, T);
  const hg = hessianVector(ops, batch.x, batch.labels, batch.n, g, T);
  return weightOps(ops).map((o, i) => o.w.map((w, j) => -w * hg[i]![j]!));
}

/** One SynFlow scoring: |w ⊙ ∂R/∂w| with every parameter made positive and the masked weights zero. */
export function synflowScores(model: Sequential, masks: Uint8Array[] | null = null): Float64Array[] {
  const ops = scoreOps(model);
  applyMasks(ops, masks);
  for (const o of weightOps(ops)) { for (let j = 0; j < o.w.length; j++) o.w[j] = Math.abs(o.w[j]!); for (let j = 0; j < o.b.length; j++) o.b[j] = Math.abs(o.b[j]!); }
  const first = ops[0]!;
  const features = first.kind === 'weight' ? (first.conv ? first.conv.c * first.conv.h * first.conv.wd : first.cols) : first.c * first.h * first.wd;
  const g = outputSumGradient(ops, new Float64Array(features).fill(1), 1);
  return weightOps(ops).map((o, i) => o.w.map((w, j) => Math.abs(w * g[i]![j]!)));
}

/**
 * Global selection: keep `keep` weights among the candidates (mask 1 in `within`, or all), the highest scores
 * (or the lowest with `lowest`), ties by lower (layer, index). Returns one 0/1 mask per layer.
 */
export function keepTop(scores: Float64Array[], keep: number, lowest = false, within: Uint8Array[] | null = null): Uint8Array[] {
  const masks = scores.map((s) => new Uint8Array(s.length));
  const sign = lowest ? -1 : 1;
  const total = scores.reduce((n, s) => n + s.length, 0);
  const vals = new Float64Array(total);
  let c = 0;
  scores.forEach((s, l) => { for (let j = 0; j < s.length; j++) if (!within || within[l]![j]) vals[c++] = sign * s[j]!; });
  keep = Math.min(keep, c);
  if (keep <= 0) return masks;
  // The keep-th largest (native numeric sort), then everything above it and ties at it in (layer, index) order.
  const sorted = vals.subarray(0, c).sort();
  const thr = sorted[c - keep]!;
  let above = 0;
  for (let i = c - keep; i < c; i++) if (sorted[i]! > thr) above++;
  let ties = keep - above;
  scores.forEach((s, l) => {
    for (let j = 0; j < s.length; j++) {
      if (within && !within[l]![j]) continue;
      const v = sign * s[j]!;
      if (v > thr) masks[l]![j] = 1;
      else if (v === thr && ties > 0) { masks[l]![j] = 1; ties--; }
    }
  });
  return masks;
}

export const SYNFLOW_ROUNDS = 100;

/** Iterative SynFlow: `rounds` rounds, round r (1-based) keeping round(d^(r/rounds) · total) weights. */
export function synflowMasks(model: Sequential, density: number, rounds = SYNFLOW_ROUNDS, invert = false): Uint8Array[] {
  const total = model.weightLayers().reduce((s, l) => s + l.weights.rows * l.weights.cols, 0);
  let masks: Uint8Array[] | null = null;
  for (let r = 1; r <= rounds; r++) {
    const scores = synflowScores(model, masks);
    masks = keepTop(scores, Math.max(1, Math.round(Math.pow(density, r / rounds) * total)), invert, masks);
  }
  return masks!;
}

/**
 * Masks of a pruning-at-initialization method at overall `density` (global). `invert` keeps the opposite end of
 * the ranking (Frankle et al. 2021's inverted-score ablation).
 */
export function scoreMasks(model: Sequential, method: ScoreMethod, density: number, batch: ScoreBatch | null, invert = false): Uint8Array[] {
  const total = model.weightLayers().reduce((s, l) => s + l.weights.rows * l.weights.cols, 0);
  const keep = Math.max(1, Math.round(density * total));
  if (method === 'synflow') return synflowMasks(model, density, SYNFLOW_ROUNDS, invert);
  if (!batch || batch.n === 0) throw new UserError(`--method ${method} scores weights on a batch of training data, and none was given (synflow is the data-free method)`);
  if (method === 'snip') return keepTop(snipScores(model, batch), keep, invert);
  return keepTop(graspScores(model, batch), keep, !invert);
}
