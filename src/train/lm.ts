// Training a character-level GPT (nanoGPT's train.py loop): random windows, AdamW with decay on
// matrices only, global gradient-norm clipping, warmup + cosine learning rate, periodic loss estimates
// on eval-iters random batches of both splits, and at the end the loss over the whole validation split
// (non-overlapping windows of the context length), in nats and bits per character.
import type { Backend } from '../backend/backend.js';
import { buildGpt, gptConfig, type Gpt } from '../models/gpt.js';
import { AdamW, clipGradNorm, cosineLr } from '../optim/adamw.js';
import { sampleBatch, type TextDataset } from '../data/text.js';
import { Rng } from '../util/rng.js';

export interface LmTrainOptions {
  model: string; batchSize: number; iterations: number; lr: number; minLr: number; warmup: number;
  weightDecay: number; beta1: number; beta2: number; gradClip: number; evalEvery: number; evalIters: number;
  seed: number; density: number;
}

export interface LmHistoryRow { iteration: number; trainLoss: number; valLoss: number; lr: number }

export interface LmTrainSummary {
  kind: 'lm';
  model: string; dataset: string; seed: number; iterations: number; parameters: number; vocab: number;
  layers: Array<{ name: string; shape: [number, number]; density: number; storage: string }>;
  final: { valLoss: number; valBitsPerChar: number; valTokens: number; estTrainLoss: number; estValLoss: number };
  wallSeconds: number; stepSeconds: number; msPerIteration: number;
  history: LmHistoryRow[];
}

export const LN2 = Math.log(2);

/** Mean loss over `iters` random batches of a split (the same batches every call for a seed). */
export function estimateLoss(be: Backend, model: Gpt, data: Int32Array, B: number, iters: number, seed: number): number {
  const T = model.config.context, rng = new Rng(seed).stream('eval');
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  let s = 0;
  for (let i = 0; i < iters; i++) { sampleBatch(data, B, T, rng, x, y); s += model.loss(be, x, y, B, T); }
  return s / iters;
}

/** Mean loss over every target of the split, in non-overlapping windows of the context length. */
export function splitLoss(be: Backend, model: Gpt, data: Int32Array, B: number, context = model.config.context): { loss: number; tokens: number } {
  const T = Math.min(context, data.length - 1), windows = Math.floor((data.length - 1) / T);
  let sum = 0, tokens = 0;
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let w0 = 0; w0 < windows; w0 += B) {
    const nb = Math.min(B, windows - w0);
    for (let b = 0; b < nb; b++) for (let t = 0; t < T; t++) { const o = (w0 + b) * T + t; x[b * T + t] = data[o]!; y[b * T + t] = data[o + 1]!; }
    sum += model.loss(be, x.subarray(0, nb * T), y.subarray(0, nb * T), nb, T) * nb * T;
    tokens += nb * T;
  }
  return { loss: sum / tokens, tokens };
}

/** Hooks of a training run; the mask-changing ones serve sparse training (RigL) and rewinding (IMP). */
export interface LmTrainHooks {
  onStep?(it: number, total: number, loss: number): void;
  onEval?(row: LmHistoryRow): void;
  /** after iteration `it` (first with the starting iteration, before any step), with the model as it is then (IMP saves θk here) */
  onIteration?(it: number, model: Gpt): void;
  /** before the step of iteration `it` (0-based): e.g. to request dense gradients */
  beforeStep?(it: number): void;
  /**
   * After the optimizer step of iteration `it` (1-based, the steps done): may change the model's masks and
   * return how AdamW's state maps onto the new parameters (null: nothing changed).
   */
  afterUpdate?(it: number): ((s: { step: number; buffers: Float32Array[] }) => { step: number; buffers: Float32Array[] }) | null;
}

export function trainLm(be: Backend, data: TextDataset, o: LmTrainOptions, hooks: LmTrainHooks = {}): { model: Gpt; summary: LmTrainSummary } {
  const t0 = performance.now();
  const config = gptConfig(o.model, data.tokenizer.size);
  const model = buildGpt(config, { seed: o.seed, density: o.density });
  return trainLmModel(be, data, model, o, hooks, 0, t0);
}

/**
 * Trains a given model (its weights and masks as they are) from iteration `startIteration` to o.iterations:
 * the learning-rate schedule and the data order continue from there (open_lth's rewinding), AdamW starts fresh.
 * o.density and o.model are only reported.
 */
export function trainLmModel(be: Backend, data: TextDataset, model: Gpt, o: LmTrainOptions, hooks: LmTrainHooks = {}, startIteration = 0, t0 = performance.now()): { model: Gpt; summary: LmTrainSummary } {
  const config = model.config;
  let params = model.params();
  let opt = new AdamW(params, { beta1: o.beta1, beta2: o.beta2, eps: 1e-8, weightDecay: o.weightDecay });
  const B = o.batchSize, T = config.context;
  const rng = new Rng(o.seed).stream('batches');
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let it = 0; it < startIteration; it++) sampleBatch(data.train, B, T, rng, x, y); // the batches of the skipped iterations
  const history: LmHistoryRow[] = [];
  const evaluate = (it: number, lr: number): void => {
    const row = { iteration: it, trainLoss: estimateLoss(be, model, data.train, B, o.evalIters, o.seed), valLoss: estimateLoss(be, model, data.val, B, o.evalIters, o.seed), lr };
    history.push(row); hooks.onEval?.(row);
  };
  let stepMs = 0;
  hooks.onIteration?.(startIteration, model);
  for (let it = startIteration; it < o.iterations; it++) {
    const lr = cosineLr(it, o.lr, o.minLr, o.warmup, o.iterations);
    if (o.evalEvery > 0 && it % o.evalEvery === 0) evaluate(it, lr);
    const s0 = performance.now();
    hooks.beforeStep?.(it);
    sampleBatch(data.train, B, T, rng, x, y);
    const loss = model.lossAndGrad(be, x, y, B, T);
    if (o.gradClip > 0) clipGradNorm(params, o.gradClip);
    opt.update(be, lr);
    const remap = hooks.afterUpdate?.(it + 1);
    if (remap) {
      const s = remap(opt.getState());
      params = model.params();
      opt = new AdamW(params, opt.config);
      opt.setState(s);
    }
    stepMs += performance.now() - s0;
    hooks.onStep?.(it + 1, o.iterations, loss);
    hooks.onIteration?.(it + 1, model);
  }
  evaluate(o.iterations, cosineLr(o.iterations, o.lr, o.minLr, o.warmup, o.iterations));
  const last = history[history.length - 1]!;
  const full = splitLoss(be, model, data.val, B);
  const steps = o.iterations - startIteration;
  return {
    model,
    summary: {
      kind: 'lm', model: o.model, dataset: data.name, seed: o.seed, iterations: o.iterations, parameters: model.parameterCount(), vocab: config.vocab,
      layers: model.weightLayers().map((l) => ({ name: l.name, shape: [l.weights.rows, l.weights.cols], density: l.weights.density, storage: l.weights.storage })),
      final: { valLoss: full.loss, valBitsPerChar: full.loss / LN2, valTokens: full.tokens, estTrainLoss: last.trainLoss, estValLoss: last.valLoss },
      wallSeconds: (performance.now() - t0) / 1000, stepSeconds: stepMs / 1000, msPerIteration: steps ? stepMs / steps : 0,
      history,
    },
  };
}
