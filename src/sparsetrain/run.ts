// One sparse training run from plain options: build the model, choose the initial mask by the method (random
// per-layer budget, or a pruning-at-initialization score), apply the ablation, train with the method's mask
// updates (SET, RigL), and count the cost: multiply-adds of every step (forward, input gradients, weight
// gradients at the kept weights), of the dense gradients at RigL's update steps, and the wall time (mask updates
// included, as step time).
import { createHash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import { features } from '../data/dataset.js';
import { buildModel } from '../models/build.js';
import { density as modelDensity } from '../models/state.js';
import { Conv2d } from '../nn/conv2d.js';
import { initWeights, type InitKind } from '../nn/init.js';
import type { Sequential } from '../nn/sequential.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { maskWarnings } from '../prune/check.js';
import { randomMask } from '../prune/random.js';
import { train, type TrainerState, type TrainResult } from '../train/trainer.js';
import type { SparseCheckpoint } from './checkpoint.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { layerCounts, layerDensities, type BudgetLayer, type Distribution } from './budget.js';
import { freshValues, installMasks, layerMask, remapOptimizerSlots, remapOptimizerState, rigLDenseUpdate, rigLDropFraction, rigLSparseUpdate, setLayerUpdate } from './dynamic.js';
import { scoreMasks, type ScoreBatch } from './scores.js';

export const METHODS = ['static', 'set', 'rigl', 'snip', 'grasp', 'synflow'] as const;
export type Method = typeof METHODS[number];
export const ABLATIONS = ['none', 'shuffle', 'reinit', 'invert'] as const;
export type Ablation = typeof ABLATIONS[number];

export interface SparseTrainOptions {
  model: string;
  method: Method;
  density: number;
  distribution: Distribution;
  ablation: Ablation;
  optimizer: OptimizerConfig;
  batchSize: number;
  iterations: number;
  evalEvery: number;
  seed: number;
  init: InitKind;
  /** SET: fraction of each sign removed per epoch */
  zeta: number;
  /** RigL */
  alpha: number;
  deltaT: number;
  /** RigL stops updating the mask after this fraction of the iterations */
  endFraction: number;
  /** SNIP: samples in the scoring batch; GraSP: samples per class */
  scoreBatch: number;
  sparseThreshold?: number;
  /**
   * A given starting point instead of the method's initial mask (per weight layer, in order): e.g. a lottery
   * ticket's mask and θ0. The ablations apply to it as to any mask; no scoring is done.
   */
  start?: { masks: Uint8Array[]; weights: Float32Array[]; biases: Float32Array[] };
}

export const DEFAULTS = { zeta: 0.3, alpha: 0.3, deltaT: 100, endFraction: 0.75, snipBatch: 100, graspPerClass: 10 };

export interface SparseTrainSummary {
  model: string; dataset: string; method: Method; ablation: Ablation; distribution: Distribution; seed: number;
  targetDensity: number; density: number;
  layers: Array<{ name: string; shape: [number, number]; density: number; storage: string }>;
  iterations: number; epochs: number;
  earlyStop: { iteration: number; valLoss: number; testAccuracy: number };
  final: { iteration: number; testAccuracy: number };
  /** multiply-adds of training (steps + mask updates) and of the initial mask choice (scores) */
  macs: { steps: number; maskUpdates: number; scoring: number };
  /** seconds: scoring the initial mask, training steps (mask updates included), mask updates alone, all with evaluation */
  seconds: { scoring: number; steps: number; maskUpdates: number; wall: number };
  maskUpdates: number;
  /** sha256 of the final weights, biases and masks (layer by layer): equal digests, equal networks */
  finalState: string;
  warnings: string[];
}

/** sha256 over every weight layer's dense weights, bias and 0/1 mask, in layer order. */
export function modelDigest(model: Sequential): string {
  const h = createHash('sha256');
  const bytes = (a: Float32Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const l of model.weightLayers()) { h.update(l.name); h.update(bytes(l.weights.toDense())); h.update(bytes(l.bias)); h.update(bytes(l.weights.toMask())); }
  return h.digest('hex');
}

function budgetLayer(l: WeightLayer): BudgetLayer {
  if (l instanceof Conv2d) return { name: l.name, outChannels: l.shape.outChannels, inChannels: l.shape.inChannels, kernel: l.shape.kernel };
  return { name: l.name, outChannels: l.weights.rows, inChannels: l.weights.cols, kernel: 1 };
}

/** Columns each weight layer multiplies per sample (1 for dense layers, OH·OW for convolutions). */
function columnsPerSample(l: WeightLayer): number { return l instanceof Conv2d ? l.outShape[1]! * l.outShape[2]! : 1; }

/** Multiply-adds of one training step of n samples at the current masks. */
export function stepMacs(model: Sequential, n: number): number {
  return model.weightLayers().reduce((s, l, i) => s + l.weights.nnz * columnsPerSample(l) * n * (i === 0 ? 2 : 3), 0);
}

/** A class-balanced batch (GraSP: perClass samples of each class) or a random one (SNIP), from the training split. */
export function scoreBatch(data: Dataset, method: 'snip' | 'grasp', size: number, rng: Rng): ScoreBatch {
  const feat = features(data), order = rng.permutation(data.train.count);
  let idx: number[];
  if (method === 'snip') idx = Array.from(order.subarray(0, Math.min(size, data.train.count)));
  else {
    const taken = new Array<number>(data.classes).fill(0);
    idx = [];
    for (const i of order) { const c = data.train.labels[i]!; if (taken[c]! < size) { taken[c]!++; idx.push(i); } }
  }
  const n = idx.length, x = new Float64Array(feat * n), labels = new Int32Array(n);
  idx.forEach((i, b) => { labels[b] = data.train.labels[i]!; for (let f = 0; f < feat; f++) x[f * n + b] = data.train.images[i * feat + f]!; });
  return { x, labels, n };
}

export function validateOptions(o: Pick<SparseTrainOptions, 'method' | 'density' | 'ablation'>): void {
  if (!(o.density > 0 && o.density <= 1)) throw new UserError(`--density: expected a number in (0, 1], got ${o.density}`);
  if (o.ablation === 'invert' && !['snip', 'grasp', 'synflow'].includes(o.method)) {
    throw new UserError(`--ablation invert needs a scoring method (snip, grasp or synflow), not --method ${o.method}, whose initial mask is random`);
  }
}

/** Resuming and checkpointing: `resume` continues a saved run; `save` receives the state at epoch boundaries. */
export interface SparseCheckpointing { resume?: SparseCheckpoint; save?: (c: SparseCheckpoint) => void }

export function runSparseTraining(be: Backend, data: Dataset, o: SparseTrainOptions,
  onStep?: (iteration: number, total: number, loss: number) => void, ckpt: SparseCheckpointing = {}): { summary: SparseTrainSummary; model: Sequential; history: TrainResult['history'] } {
  validateOptions(o);
  if ((o.method === 'snip' || o.method === 'grasp') && data.train.count === 0) throw new UserError(`--method ${o.method} scores weights on training data, but ${data.name} has no training images`);
  const rng = new Rng(o.seed);
  const model = buildModel(o.model, data.shape, data.classes, rng, { init: o.init, sparseThreshold: o.sparseThreshold });
  const layers = model.weightLayers();
  const maskRng = rng.stream('sparse-mask');
  const t0 = performance.now();
  let scoringMacs = 0;
  // The initial masks.
  let masks: Uint8Array[];
  if (o.start) {
    if (o.start.masks.length !== layers.length) throw new Error(`start: ${o.start.masks.length} masks for ${layers.length} weight layers`);
    layers.forEach((l, i) => {
      const size = l.weights.rows * l.weights.cols;
      if (o.start!.masks[i]!.length !== size || o.start!.weights[i]!.length !== size || o.start!.biases[i]!.length !== l.bias.length) throw new Error(`start: layer ${l.name} has the wrong size`);
      l.setWeights(o.start!.weights[i]!, null); l.bias.set(o.start!.biases[i]!);
    });
    masks = o.start.masks.map((m) => Uint8Array.from(m));
  } else if (o.method === 'static' || o.method === 'set' || o.method === 'rigl') {
    const dens = layerDensities(layers.map(budgetLayer), o.density, o.distribution);
    const counts = layerCounts(layers.map(budgetLayer), dens);
    masks = layers.map((l, i) => randomMask(l.weights.rows * l.weights.cols, counts[i]! / (l.weights.rows * l.weights.cols), maskRng));
  } else {
    const batch = o.method === 'synflow' ? null
      : scoreBatch(data, o.method, o.method === 'snip' ? o.scoreBatch : Math.max(1, Math.round(o.scoreBatch / 10)), rng.stream('score-batch'));
    masks = scoreMasks(model, o.method, o.density, batch, o.ablation === 'invert');
    const dense = stepMacs(model, 1);
    scoringMacs = o.method === 'synflow' ? 100 * dense : o.method === 'snip' ? dense * batch!.n : 2 * dense * batch!.n;
  }
  if (o.ablation === 'shuffle') masks = masks.map((m) => randomMask(m.length, Math.max(1, m.reduce((s, v) => s + v, 0)) / m.length, maskRng));
  if (o.ablation === 'reinit') {
    const reinit = rng.stream('reinit');
    for (const l of layers) { const w = new Float32Array(l.weights.rows * l.weights.cols); const f = l.fans(); initWeights(w, o.init, f.fanIn, f.fanOut, reinit); l.setWeights(w, null); }
  }
  layers.forEach((l, i) => { const b = Float32Array.from(l.bias); l.setWeights(l.weights.toDense(), masks[i]!); l.bias.set(b); });
  // A resumed run keeps the scoring time it measured the first time (the masks are recomputed, identically).
  const scoringSeconds = ckpt.resume ? ckpt.resume.progress.scoringSeconds : (performance.now() - t0) / 1000;
  const warnings = maskWarnings(layers.map((l, i, all) => ({ name: l.name, mask: l.weights.toMask(), rows: l.weights.rows, isOutput: i === all.length - 1 })), `--method ${o.method} --density ${o.density}`);

  // Mask updates during training.
  const perEpoch = Math.floor(data.train.count / o.batchSize);
  const tEnd = Math.floor(o.endFraction * o.iterations);
  const rigLDue = (it: number): boolean => o.method === 'rigl' && it % o.deltaT === 0 && it <= tEnd && it < o.iterations;
  const setDue = (it: number): boolean => o.method === 'set' && it % perEpoch === 0 && it < o.iterations;
  const setRng = rng.stream('set');
  let macsSteps = 0, macsUpdates = 0, updates = 0, updateMs = 0;
  if (ckpt.resume) {
    ({ macsSteps, macsUpdates, updates, updateMs } = ckpt.resume.progress);
    setRng.setState(ckpt.resume.progress.setRng);
  }
  let perStep = -1; // at the first step: the trainer restores a resumed run's masks first
  const result = train(be, model, data, { optimizer: o.optimizer, batchSize: o.batchSize, iterations: o.iterations, evalEvery: o.evalEvery, seed: o.seed }, {
    resume: ckpt.resume?.trainer,
    ...(ckpt.save ? {
      checkpointEvery: perEpoch,
      onCheckpoint: (trainer: TrainerState) => ckpt.save!({ trainer, progress: { macsSteps, macsUpdates, updates, updateMs, setRng: setRng.getState(), scoringSeconds } }),
    } : {}),
    beforeStep(it) {
      if (!rigLDue(it + 1)) return;
      // A dense-gradient buffer per layer for this step only, dropped after the update: no dense-sized array is kept
      // between updates (the memory rule). Reusing one across updates saved ~1 ms of zeroing per update.
      for (const l of model.weightLayers()) l.denseGradOut = new Float32Array(l.weights.rows * l.weights.cols);
    },
    afterUpdate(it) {
      if (perStep < 0) perStep = stepMacs(model, o.batchSize);
      macsSteps += perStep;
      if (!rigLDue(it) && !setDue(it)) return null;
      const u0 = performance.now();
      const ls = model.weightLayers();
      if (o.method === 'rigl') {
        // In place on each layer's storage; only dense-stored (small) layers go through a mask.
        const fraction = rigLDropFraction(it, tEnd, o.alpha);
        const slots = ls.map((l) => {
          const g = l.denseGradOut!;
          l.denseGradOut = null;
          macsUpdates += l.weights.rows * l.weights.cols * columnsPerSample(l) * o.batchSize;
          return l.weights.storage === 'sparse' ? rigLSparseUpdate(l.weights, g, fraction) : rigLDenseUpdate(l.weights, g, fraction);
        });
        perStep = stepMacs(model, o.batchSize);
        updates++;
        updateMs += performance.now() - u0;
        return (s) => remapOptimizerSlots(s, slots);
      }
      const before = ls.map((l) => ({ storage: l.weights.storage, mask: layerMask(l) }));
      const next = ls.map((l, i) => {
        const size = l.weights.rows * l.weights.cols;
        return setLayerUpdate(before[i]!.mask, size, o.zeta, setRng, freshValues(l, o.init, setRng));
      });
      installMasks(model, next.map((x) => x.mask));
      const after = model.weightLayers().map((l, i) => ({ storage: l.weights.storage, size: l.weights.rows * l.weights.cols, mask: next[i]!.mask, grown: next[i]!.grown }));
      perStep = stepMacs(model, o.batchSize);
      updates++;
      updateMs += performance.now() - u0;
      return (s) => remapOptimizerState(s, before, after);
    },
    onStep,
  });
  const e = result.earlyStop;
  const summary: SparseTrainSummary = {
    model: o.model, dataset: data.name, method: o.method, ablation: o.ablation, distribution: o.distribution, seed: o.seed,
    targetDensity: o.density, density: modelDensity(model),
    layers: model.weightLayers().map((l) => ({ name: l.name, shape: [l.weights.rows, l.weights.cols], density: l.weights.density, storage: l.weights.storage })),
    iterations: result.iterations, epochs: result.iterations * o.batchSize / data.train.count,
    earlyStop: { iteration: e.iteration, valLoss: e.valLoss, testAccuracy: e.testAccuracy },
    final: { iteration: result.final.iteration, testAccuracy: result.final.testAccuracy },
    macs: { steps: macsSteps, maskUpdates: macsUpdates, scoring: scoringMacs },
    seconds: { scoring: scoringSeconds, steps: result.stepSeconds, maskUpdates: updateMs / 1000, wall: scoringSeconds + result.wallSeconds },
    maskUpdates: updates,
    finalState: modelDigest(model),
    warnings: [...warnings, ...result.warnings],
  };
  return { summary, model, history: result.history };
}
