// Iterative magnitude pruning with rewinding, as levels and branches (open_lth's two concepts):
//   level 0   trains the dense network from θ0 (saving θk when rewinding to iteration k);
//   level L   prunes the level L−1 ticket's trained weights, rewinds the survivors to θk, retrains.
// Branches at each level L ≥ 1 reuse the level's mask or its sparsity:
//   ticket        mask_L, weights θk (the winning-ticket candidate; it feeds the next level)
//   reinit        mask_L, fresh random weights (same distribution as θ0)
//   random-prune  a random mask with mask_L's per-layer sparsity, weights θk
//   finetune      mask_L, the level L−1 ticket's trained weights, no rewind (standard pruning)
// Every job is resumable: a checkpoint each epoch in its directory. Which jobs are done, and where their
// directories are, is the caller's business (the lottery experiment keeps them in the store).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import { loadModel } from '../io/model-io.js';
import { buildModel } from '../models/build.js';
import { UserError } from '../util/errors.js';
import { density as modelDensity, restore, snapshot, type ModelState } from '../models/state.js';
import type { Sequential } from '../nn/sequential.js';
import { oneShotDensities, pruneGlobal, pruneLayerwise, pruneToDensity, type PrunableLayer, type PruneRates } from '../prune/magnitude.js';
import { randomMask } from '../prune/random.js';
import type { MetricRow } from '../store/db.js';
import { train, type TrainerState, type TrainResult } from '../train/trainer.js';
import { Rng } from '../util/rng.js';
import type { Branch, LotteryHparams } from './hparams.js';
import { loadModelState, loadTrainerState, saveModelState, saveTrainerState } from './state-io.js';

export interface JobResult {
  replicate: number;
  level: number;
  branch: Branch;
  density: number;
  earlyStopIteration: number;
  earlyStopValLoss: number;
  earlyStopTestAccuracy: number;
  finalTestAccuracy: number;
  wallSeconds: number;
  stepSeconds: number;
  iterations: number;
  storage: string[];
}

export interface LotteryHooks {
  onStep?(iteration: number, total: number): void;
  onEval?(row: MetricRow & { iteration: number }): void;
}

export interface LotteryJob { replicate: number; level: number; branch: Branch }

export interface LotteryContext {
  be: Backend;
  data: Dataset;
  h: LotteryHparams;
  /** the directory of a job (replicate, level, branch); the files of other jobs are read from theirs */
  dir(job: LotteryJob): string;
  /**
   * Save a resumable checkpoint at an epoch boundary once this many seconds have passed since the
   * last save (0: at every epoch). A killed job resumes from its last checkpoint with identical results.
   */
  checkpointSeconds?: number;
}

/** The jobs of a run, in execution order. */
export function plan(h: LotteryHparams): LotteryJob[] {
  const jobs: LotteryJob[] = [];
  for (let r = 0; r < h.replicates; r++) {
    for (let level = 0; level <= h.levels; level++) {
      jobs.push({ replicate: r, level, branch: 'ticket' });
      if (level > 0) for (const c of h.controls) jobs.push({ replicate: r, level, branch: c });
    }
  }
  return jobs;
}

type JobFile = 'mask.wt' | 'weights-init.wt' | 'weights-final.wt' | 'checkpoint.wt';
const file = (ctx: LotteryContext, replicate: number, level: number, branch: Branch, name: JobFile | string): string => join(ctx.dir({ replicate, level, branch }), name);

function freshModel(ctx: LotteryContext, seed: number, skipInit = false): Sequential {
  return buildModel(ctx.h.model, ctx.data.shape, ctx.data.classes, new Rng(seed), { init: ctx.h.init, sparseThreshold: ctx.h.sparseThreshold, skipInit });
}

/** θ0 for a replicate, created once and stored, so every rewind reads the same bits. */
function initialWeights(ctx: LotteryContext, replicate: number): ModelState {
  const path = file(ctx, replicate, 0, 'ticket', 'weights-init.wt');
  if (existsSync(path)) return loadModelState(path);
  const state = ctx.h.initFrom ? importedInit(ctx) : snapshot(freshModel(ctx, ctx.h.seed + replicate));
  saveModelState(path, state);
  return state;
}

/** θ0 from a model file (--init-from): same spec, input shape and classes as the run; every weight kept. */
function importedInit(ctx: LotteryContext): ModelState {
  const path = ctx.h.initFrom;
  const { model, info } = loadModel(path);
  const want = `${ctx.h.model} on [${ctx.data.shape.join(', ')}] → ${ctx.data.classes} classes`;
  const have = `${info.spec} on [${info.inputShape.join(', ')}] → ${info.classes} classes`;
  if (have !== want) throw new UserError(`--init-from ${path}: the file holds ${have}; the run needs ${want}`);
  const state = snapshot(model);
  for (const l of Object.values(state)) if (!l.mask.every((m) => m === 1)) throw new UserError(`--init-from ${path}: the network is already pruned; the lottery starts from a dense network`);
  return state;
}

/** Where the dense training (level 0) saves θk when rewinding to iteration k > 0. */
function rewindFile(ctx: LotteryContext, replicate: number): string {
  return file(ctx, replicate, 0, 'ticket', `weights-iter${ctx.h.rewindIter}.wt`);
}

/** The weights survivors rewind to: θ0, or θk saved during the dense training (level 0). */
function rewindWeights(ctx: LotteryContext, replicate: number): ModelState {
  if (ctx.h.rewindIter === 0) return initialWeights(ctx, replicate);
  const path = rewindFile(ctx, replicate);
  if (!existsSync(path)) throw new Error(`rewind weights ${path} are missing: level 0 has not been trained`);
  return loadModelState(path);
}

function trainedTicket(ctx: LotteryContext, replicate: number, level: number): ModelState {
  return loadModelState(file(ctx, replicate, level, 'ticket', 'weights-final.wt'));
}

function prunableLayers(state: ModelState, outputName: string, convNames: Set<string>): PrunableLayer[] {
  return Object.entries(state).map(([name, l]) => ({ name, kind: convNames.has(name) ? 'conv' : 'fc', isOutput: name === outputName, weights: l.weight, mask: l.mask }));
}

/** The mask of level L ≥ 1, computed from the level L−1 ticket and stored. */
function levelMask(ctx: LotteryContext, replicate: number, level: number, layout: Sequential): Record<string, Uint8Array> {
  const path = file(ctx, replicate, level, 'ticket', 'mask.wt');
  if (existsSync(path)) return Object.fromEntries(Object.entries(loadModelState(path)).map(([n, l]) => [n, l.mask]));
  const prev = trainedTicket(ctx, replicate, level - 1);
  const wl = layout.weightLayers();
  const layers = prunableLayers(prev, wl[wl.length - 1]!.name, new Set(wl.filter((l) => l.kind === 'conv').map((l) => l.name)));
  const rates: PruneRates = { fc: ctx.h.rateFc, conv: ctx.h.rateConv, output: ctx.h.rateOutput };
  let masks: Record<string, Uint8Array>;
  if (ctx.h.oneShot > 0) {
    const d = oneShotDensities(layers.map((l) => ({ ...l, size: l.weights.length })), rates, ctx.h.oneShot);
    masks = Object.fromEntries(layers.map((l, i) => [l.name, pruneToDensity(l.weights, l.mask, d[i]!, l.name)]));
  } else if (ctx.h.strategy === 'global') {
    masks = pruneGlobal(layers, ctx.h.rateFc, ctx.h.rateOutput);
  } else {
    masks = pruneLayerwise(layers, rates);
  }
  const state: ModelState = Object.fromEntries(layers.map((l) => [l.name, { weight: new Float32Array(0), bias: new Float32Array(0), mask: masks[l.name]! }]));
  saveModelState(path, state, { level });
  return masks;
}

/** A random mask per layer with exactly the same kept count as the given masks. */
function randomMasksLike(masks: Record<string, Uint8Array>, rng: Rng): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(masks).map(([name, m]) => {
    const kept = m.reduce((s, v) => s + v, 0);
    return [name, randomMask(m.length, Math.max(kept, 1) / m.length, rng)];
  }));
}

/** Trains one branch of one level (resuming from its checkpoint); returns its result and evaluation history. */
export function trainBranch(ctx: LotteryContext, { replicate, level, branch }: LotteryJob, hooks: LotteryHooks = {}): { result: JobResult; metrics: MetricRow[]; warnings: string[] } {
  const h = ctx.h, seed = h.seed + replicate;
  const model = freshModel(ctx, seed, true);  // every weight and bias comes from `start` below
  const masks = level === 0 ? null : levelMask(ctx, replicate, level, model);
  const branchRng = new Rng(seed).stream(`level-${level}`).stream(branch);
  // Starting weights and mask of this branch.
  let start: ModelState;
  let jobMasks = masks ?? undefined;
  let startIteration = h.rewindIter;
  switch (branch) {
    case 'ticket': start = level === 0 ? initialWeights(ctx, replicate) : rewindWeights(ctx, replicate); if (level === 0) startIteration = 0; break;
    case 'reinit': start = snapshot(freshModel(ctx, branchRng.next() * 2 ** 32 >>> 0)); break;
    case 'random-prune': start = rewindWeights(ctx, replicate); jobMasks = randomMasksLike(masks!, branchRng); break;
    case 'finetune': start = trainedTicket(ctx, replicate, level - 1); break;
  }
  restore(model, start, jobMasks);
  const density = modelDensity(model);
  const ckptPath = file(ctx, replicate, level, branch, 'checkpoint.wt');
  const resume: TrainerState | undefined = existsSync(ckptPath) ? loadTrainerState(ckptPath) : undefined;
  // θk is saved when the dense training passes iteration k (before any checkpoint after k).
  const rewindPath = h.rewindIter > 0 && level === 0 && branch === 'ticket' ? rewindFile(ctx, replicate) : null;
  const perEpoch = Math.floor(ctx.data.train.count / h.batchSize);
  let lastSave = performance.now();
  const result: TrainResult = train(ctx.be, model, ctx.data, {
    optimizer: { kind: h.optimizer, lr: h.lr, momentum: h.momentum, weightDecay: h.weightDecay },
    batchSize: h.batchSize, iterations: h.iterations, evalEvery: h.evalEvery, seed,
  }, {
    resume, startIteration, checkpointEvery: perEpoch,
    onCheckpoint: (s) => {
      if (performance.now() - lastSave < 1000 * (ctx.checkpointSeconds ?? 0)) return;
      saveTrainerState(ckptPath, s);
      lastSave = performance.now();
    },
    onEval: (r) => hooks.onEval?.({ iteration: r.iteration, trainLoss: r.trainLoss, valLoss: r.valLoss, valAccuracy: r.valAccuracy, testLoss: r.testLoss, testAccuracy: r.testAccuracy }),
    onStep: (it, total) => {
      if (rewindPath && it === h.rewindIter) saveModelState(rewindPath, snapshot(model), { iteration: it });
      hooks.onStep?.(it, total);
    },
  });
  saveModelState(file(ctx, replicate, level, branch, 'weights-final.wt'), snapshot(model));
  const e = result.earlyStop;
  const out: JobResult = {
    replicate, level, branch, density, earlyStopIteration: e.iteration, earlyStopValLoss: e.valLoss,
    earlyStopTestAccuracy: e.testAccuracy, finalTestAccuracy: result.final.testAccuracy,
    wallSeconds: result.wallSeconds, stepSeconds: result.stepSeconds, iterations: result.iterations,
    storage: model.weightLayers().map((l) => l.weights.storage),
  };
  const metrics = result.history.map((r) => ({ iteration: r.iteration, trainLoss: r.trainLoss, valLoss: r.valLoss, valAccuracy: r.valAccuracy, testLoss: r.testLoss, testAccuracy: r.testAccuracy }));
  rmSync(ckptPath, { force: true });
  return { result: out, metrics, warnings: result.warnings };
}
