// RigL (Evci et al., ICML 2020) for the GPT: the block matrices (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj,
// the set IMP and the one-shot methods prune) start from a random mask with ERK per-layer densities over those
// matrices only (embeddings, biases and LayerNorms stay dense, as everywhere in the LM study), and every ΔT = 100
// steps until 75% of training drop f(t) = α/2·(1 + cos(πt/T_end)), α = 0.3, of each matrix's smallest weights and
// grow as many where the dense gradient is largest, at zero (dynamic.ts: rigLSparseUpdate in place on CSR,
// rigLDenseUpdate in place on dense-stored matrices). The dense gradient is computed only for the step before an update.
// AdamW's state follows the weights: a kept weight keeps its moments, a grown one starts at zero.
import type { Backend } from '../backend/backend.js';
import type { TextDataset } from '../data/text.js';
import { targetLayers } from '../llmcompress/oneshot.js';
import { buildGpt, gptConfig, type Gpt } from '../models/gpt.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import { randomMask } from '../prune/random.js';
import { trainLmModel, type LmTrainHooks, type LmTrainOptions, type LmTrainSummary } from '../train/lm.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { layerCounts, layerDensities, type Distribution } from './budget.js';
import { rigLDenseUpdate, rigLDropFraction, rigLSparseUpdate } from './dynamic.js';
import { DEFAULTS } from './run.js';

export interface LmRigLOptions {
  /** kept fraction of the block matrices together, in (0, 1] */
  density: number;
  distribution: Distribution;
  alpha: number;
  deltaT: number;
  /** mask updates stop after this fraction of the iterations */
  endFraction: number;
}

export const LM_RIGL_DEFAULTS: Omit<LmRigLOptions, 'density'> = { distribution: 'erk', alpha: DEFAULTS.alpha, deltaT: DEFAULTS.deltaT, endFraction: DEFAULTS.endFraction };

/** The matrices RigL makes sparse. */
export function rigLLayers(model: Gpt): WeightLayer[] { return targetLayers(model); }

/** Random initial masks with the distribution's per-matrix kept counts (ERK: ∝ (rows + cols)/(rows·cols)). */
export function initialRigLMasks(model: Gpt, density: number, distribution: Distribution, rng: Rng): void {
  const layers = rigLLayers(model);
  const budget = layers.map((l) => ({ name: l.name, outChannels: l.weights.rows, inChannels: l.weights.cols, kernel: 1 }));
  const counts = layerCounts(budget, layerDensities(budget, density, distribution));
  layers.forEach((l, i) => {
    const size = l.weights.rows * l.weights.cols;
    l.setWeights(l.weights.toDense(), counts[i]! === size ? null : randomMask(size, counts[i]! / size, rng));
  });
}

export type AdamWState = { step: number; buffers: Float32Array[] };

/**
 * AdamW's moments moved by slot maps (new slot j of parameter i takes old slot from[j], or zero where −1);
 * buffers are [m of every parameter, v of every parameter] in model.params() order.
 */
export function remapAdamW(s: AdamWState, maps: ReadonlyMap<number, Int32Array>): AdamWState {
  const P = s.buffers.length / 2, buffers = s.buffers.slice();
  for (const [i, from] of maps) {
    for (const b of [i, P + i]) {
      const old = s.buffers[b]!, fresh = new Float32Array(from.length);
      for (let j = 0; j < from.length; j++) { const q = from[j]!; if (q >= 0) fresh[j] = old[q]!; }
      buffers[b] = fresh;
    }
  }
  return { step: s.step, buffers };
}

/**
 * One RigL update of every given layer from the dense gradients they wrote (denseGradOut, then cleared): returns each
 * layer's slot map (new slot → old slot, −1 = grown or absent), null where nothing changed.
 */
export function rigLUpdateLayers(layers: readonly WeightLayer[], fraction: number): Array<Int32Array | null> {
  return layers.map((l) => {
    const g = l.denseGradOut;
    if (!g) throw new Error(`rigLUpdateLayers: ${l.name} has no dense gradient`);
    l.denseGradOut = null;
    return l.weights.storage === 'sparse' ? rigLSparseUpdate(l.weights, g, fraction) : rigLDenseUpdate(l.weights, g, fraction);
  });
}

/** Trains a GPT with RigL from its initialization θ0 (seed o.seed); same options and seed ⇒ identical weights. */
export function trainLmRigL(be: Backend, data: TextDataset, o: LmTrainOptions, r: LmRigLOptions, hooks: LmTrainHooks = {}): { model: Gpt; summary: LmTrainSummary; updates: number } {
  if (!(r.density > 0 && r.density <= 1)) throw new UserError(`RigL density: expected a number in (0, 1], got ${r.density}`);
  if (!(Number.isInteger(r.deltaT) && r.deltaT >= 1)) throw new UserError(`RigL ΔT: expected a positive integer, got ${r.deltaT}`);
  const t0 = performance.now();
  const model = buildGpt(gptConfig(o.model, data.tokenizer.size), { seed: o.seed });
  initialRigLMasks(model, r.density, r.distribution, new Rng(o.seed).stream('rigl-mask'));
  const layers = rigLLayers(model);
  const index = new Map(model.params().map((p, i) => [p.name, i]));
  const tEnd = Math.floor(r.endFraction * o.iterations);
  const due = (it: number): boolean => it >= 1 && it % r.deltaT === 0 && it <= tEnd && it < o.iterations;
  let updates = 0;
  const out = trainLmModel(be, data, model, o, {
    ...hooks,
    beforeStep(it) {
      if (due(it + 1)) for (const l of layers) l.denseGradOut = new Float32Array(l.weights.rows * l.weights.cols);
      hooks.beforeStep?.(it);
    },
    afterUpdate(it) {
      if (!due(it)) return null;
      const slots = rigLUpdateLayers(layers, rigLDropFraction(it, tEnd, r.alpha));
      updates++;
      const maps = new Map<number, Int32Array>();
      slots.forEach((s, i) => { if (s) maps.set(index.get(`${layers[i]!.name}.weight`)!, s); });
      return (s) => remapAdamW(s, maps);
    },
  }, 0, t0);
  return { ...out, updates };
}
