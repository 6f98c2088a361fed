// Iterative magnitude pruning with rewinding for the GPT (Frankle et al. 2020, "Linear mode connectivity and
// the lottery ticket hypothesis"): rewinding to iteration 0 fails for deeper networks, so the survivors of each
// level are reset to θk, their values at an early iteration k of the dense training (default 5% of training,
// inside the paper's "0.1% to 7% through"), and retrained from iteration k to the end with the learning-rate
// schedule and data order continuing from k (open_lth's rewinding). Levels are given as target sparsities
// (e.g. 50%, 70%, 90%): level L prunes the level L−1 ticket's trained weights down to its target.
//
// What is pruned: the block matrices the one-shot methods prune (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj);
// embeddings (the tied token embedding is also the head), biases and LayerNorms stay dense. By magnitude per layer
// (default: each matrix at the level's sparsity, as magnitude/Wanda/SparseGPT leave it, so the comparison at 50/70/
// 90% is at equal per-layer densities; and global ranking would empty the residual projections, initialized
// 1/√(2L) smaller) or globally over those matrices (open_lth's strategy for deep nets).
//
// Branches at each level, as in ../lottery/runner.ts: ticket (mask, θk), reinit (the same mask, a fresh
// initialization, also trained from k, open_lth's randomly_reinitialize default), random-prune (a random mask with
// each matrix's kept count, θk).
import type { Backend } from '../backend/backend.js';
import type { TextDataset } from '../data/text.js';
import { targetLayers } from '../llmcompress/oneshot.js';
import { buildGpt, type Gpt } from '../models/gpt.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import { pruneGlobal, pruneToDensity } from '../prune/magnitude.js';
import { randomMask } from '../prune/random.js';
import { trainLmModel, type LmTrainHooks, type LmTrainOptions, type LmTrainSummary } from '../train/lm.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export const IMP_STRATEGIES = ['layerwise', 'global'] as const;
export type ImpStrategy = typeof IMP_STRATEGIES[number];
export const LM_BRANCHES = ['ticket', 'reinit', 'random-prune'] as const;
export type LmBranch = typeof LM_BRANCHES[number];

/** Masks of the pruned matrices, by layer name (1 = kept). */
export type LmMasks = Map<string, Uint8Array>;

/** The matrices IMP prunes: every block's linear layers, in forward order (the one-shot methods' set). */
export function impLayers(model: Gpt): WeightLayer[] { return targetLayers(model); }

/** The rewind iteration used when none is given: 5% of training. */
export function defaultRewindIteration(iterations: number): number { return Math.round(0.05 * iterations); }

/** Target sparsities of the levels: each in (0, 1), strictly increasing. */
export function checkLevelSparsities(s: readonly number[], flag = '--sparsities'): number[] {
  if (s.length === 0) throw new UserError(`${flag}: expected at least one sparsity`);
  s.forEach((v, i) => {
    if (!(v > 0 && v < 1)) throw new UserError(`${flag}: IMP levels need sparsities in (0, 1), got ${v}`);
    if (i > 0 && !(v > s[i - 1]!)) throw new UserError(`${flag}: IMP levels need increasing sparsities (each level prunes the one before), got ${s[i - 1]} then ${v}`);
  });
  return [...s];
}

export function currentMasks(model: Gpt): LmMasks { return new Map(impLayers(model).map((l) => [l.name, l.weights.toMask()])); }

/** Kept and total weights of the pruned matrices under `masks`. */
export function maskCounts(masks: LmMasks): { kept: number; total: number } {
  let kept = 0, total = 0;
  for (const m of masks.values()) { total += m.length; for (let i = 0; i < m.length; i++) kept += m[i]!; }
  return { kept, total };
}

/**
 * The next level's masks: the trained model's block matrices pruned, among their current survivors, to keep
 * `density` of each matrix (layerwise) or of all of them together (global). Masks nest: only survivors are kept.
 */
export function impMasks(trained: Gpt, density: number, strategy: ImpStrategy): LmMasks {
  const layers = impLayers(trained);
  const state = layers.map((l) => ({ name: l.name, kind: 'fc' as const, isOutput: false, weights: l.weights.toDense(), mask: l.weights.toMask() }));
  const kept = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);
  if (strategy === 'layerwise') {
    return new Map(state.map((l) => {
      const k = kept(l.mask), want = Math.round(density * l.mask.length);
      if (want > k) throw new UserError(`IMP: ${l.name} keeps ${k} weights, fewer than the ${want} of density ${density} (levels must prune further)`);
      return [l.name, pruneToDensity(l.weights, l.mask, density, l.name)];
    }));
  }
  const total = state.reduce((s, l) => s + l.mask.length, 0), now = state.reduce((s, l) => s + kept(l.mask), 0);
  const want = Math.round(density * total);
  if (want > now) throw new UserError(`IMP: the block matrices keep ${now} weights, fewer than the ${want} of density ${density} (levels must prune further)`);
  const out = pruneGlobal(state, (now - want) / now, 0);
  return new Map(state.map((l) => [l.name, out[l.name]!]));
}

/** Installs masks on a model's pruned matrices, keeping its weights (zeroed where pruned). */
export function applyMasks(model: Gpt, masks: LmMasks): void {
  for (const l of impLayers(model)) {
    const m = masks.get(l.name);
    if (!m) throw new Error(`applyMasks: no mask for ${l.name}`);
    l.setWeights(l.weights.toDense(), m.every((v) => v === 1) ? null : m);
  }
}

/** Random masks with each matrix's kept count of `masks` (the random-prune control). */
export function randomMasksLike(masks: LmMasks, rng: Rng): LmMasks {
  return new Map([...masks].map(([name, m]) => {
    const k = m.reduce((s, v) => s + v, 0);
    return [name, randomMask(m.length, Math.max(k, 1) / m.length, rng)];
  }));
}

export interface LmImpLevel {
  /** the level's target sparsity of the pruned matrices */
  sparsity: number;
  strategy: ImpStrategy;
  branch: LmBranch;
  /** θk: every parameter at iteration k of the dense training (modified: becomes the ticket / random-prune model) */
  rewound: Gpt;
  rewindIteration: number;
  /** the previous level's trained ticket (level 1: the trained dense model) */
  previous: Gpt;
}

/**
 * One branch of one IMP level: its masks from the previous ticket, its starting weights (θk, or a fresh
 * initialization for reinit), trained from iteration k. Same inputs and seed ⇒ identical weights.
 */
export function trainLmImpBranch(be: Backend, data: TextDataset, o: LmTrainOptions, level: LmImpLevel, hooks: LmTrainHooks = {}): { model: Gpt; summary: LmTrainSummary; masks: LmMasks } {
  const k = level.rewindIteration;
  if (!(Number.isInteger(k) && k >= 0 && k < o.iterations)) throw new UserError(`--rewind-iter ${k}: expected an integer in [0, ${o.iterations}) (an iteration of the dense training)`);
  const ticketMasks = impMasks(level.previous, 1 - level.sparsity, level.strategy);
  const rng = new Rng(o.seed).stream(`imp-${level.sparsity}`).stream(level.branch);
  let model: Gpt, masks = ticketMasks;
  if (level.branch === 'reinit') model = buildGpt(level.rewound.config, { seed: rng.next() * 2 ** 32 >>> 0 });
  else model = level.rewound;
  if (level.branch === 'random-prune') masks = randomMasksLike(ticketMasks, rng);
  applyMasks(model, masks);
  return { ...trainLmModel(be, data, model, o, hooks, k), masks };
}
