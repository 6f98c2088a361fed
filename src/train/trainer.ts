// The training loop: mini-batch steps over a seeded data order, evaluation on the validation and
// test splits every N iterations, and the early-stopping record (the iteration of minimum
// validation loss, with the test accuracy there, as in the LTH paper). Nothing allocates inside
// the step loop. The loop can stop at any checkpoint and resume with bit-identical results: the
// data order is a pure function of (seed, epoch), and the state holds everything else.
import type { Backend } from '../backend/backend.js';
import type { Dataset, Split } from '../data/dataset.js';
import { features } from '../data/dataset.js';
import type { Sequential } from '../nn/sequential.js';
import { Conv2d } from '../nn/conv2d.js';
import { Scratch } from '../nn/layer.js';
import { Optimizer, type OptimizerConfig, type OptimizerState } from '../optim/optimizer.js';
import { restore, snapshot, type ModelState } from '../models/state.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export interface TrainConfig {
  optimizer: OptimizerConfig;
  batchSize: number;
  /** Total optimizer steps (including any before startIteration). */
  iterations: number;
  /** Evaluate every this many iterations (and always at the start and at the end). */
  evalEvery: number;
  /** Samples per forward pass during evaluation. */
  evalBatch?: number;
  /** Seed of the data order. */
  seed: number;
}

export interface EvalRecord {
  iteration: number;
  /** Mean training loss over the steps since the previous record (NaN at iteration 0). */
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

export interface TrainResult {
  history: EvalRecord[];
  /** The record with the minimum validation loss (the last record when there is no validation split). */
  earlyStop: EvalRecord;
  final: EvalRecord;
  /** Seconds spent in training steps and evaluation, excluding time before a resume. */
  wallSeconds: number;
  /** Seconds spent in training steps only (no evaluation). */
  stepSeconds: number;
  iterations: number;
  /** Problems that make the result meaningless (divergence: see divergenceWarnings); empty when none. */
  warnings: string[];
}

/** Training loss more than this many times the starting loss (or ln(classes), if larger) counts as diverged. */
export const DIVERGENCE_FACTOR = 10;

/**
 * Warnings when training diverged: a non-finite loss, or a training loss above DIVERGENCE_FACTOR × the
 * starting loss (the larger of the first record's validation/test loss and ln(classes), the loss of a
 * uniform guess). `lr` is named in the advice when given.
 */
export function divergenceWarnings(history: readonly EvalRecord[], classes: number, lr?: number): string[] {
  if (history.length === 0) return [];
  const first = history[0]!;
  const start = [first.valLoss, first.testLoss, Math.log(Math.max(2, classes))].filter((x) => Number.isFinite(x));
  const base = Math.max(...start);
  const limit = DIVERGENCE_FACTOR * base;
  const advice = `the learning rate${lr !== undefined ? ` (--lr ${lr})` : ''} is probably too high`;
  // NaN is "no value" for the first record's training loss and for a split that is empty throughout.
  const absent = { training: false, validation: !Number.isFinite(first.valLoss), test: !Number.isFinite(first.testLoss) };
  for (const r of history) {
    const losses = [['training', r.trainLoss], ['validation', r.valLoss], ['test', r.testLoss]] as const;
    for (const [what, x] of losses) {
      if (Number.isNaN(x) && (absent[what] || (what === 'training' && r === first))) continue;
      if (!Number.isFinite(x)) return [`training diverged: the ${what} loss is ${x} at iteration ${r.iteration}; ${advice}`];
      if (x > limit) {
        return [`training diverged: the ${what} loss reached ${x.toPrecision(3)} at iteration ${r.iteration}, more than ${DIVERGENCE_FACTOR}× the starting ${base.toPrecision(3)}; ${advice}`];
      }
    }
  }
  return [];
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainerState {
  iteration: number;
  model: ModelState;
  optimizer: OptimizerState;
  history: EvalRecord[];
  lossSum: number;
  lossCount: number;
  wallSeconds: number;
  stepSeconds: number;
}

export interface TrainHooks {
  /** Called after every step with the iteration just finished. */
  onStep?(iteration: number, total: number, loss: number): void;
  onEval?(record: EvalRecord): void;
  /** Called before each step with the iteration about to run (0-based): e.g. to request dense gradients. */
  beforeStep?(iteration: number): void;
  /**
   * Called after each optimizer step with the iteration just finished; may change the model's masks (re-laying
   * its layers out). Returns how the optimizer's state maps onto the new parameters, or null when nothing
   * changed. Its time counts as step time.
   */
  afterUpdate?(iteration: number): ((state: OptimizerState) => OptimizerState) | null;
  /** Called every `checkpointEvery` iterations with the full resumable state (the caller may skip saving some). */
  onCheckpoint?(state: TrainerState): void;
  checkpointEvery?: number;
  /** Resume from this state instead of starting fresh. */
  resume?: TrainerState;
  /** The first iteration when not resuming (rewinding to iteration k continues the data order from k). */
  startIteration?: number;
}

/** Samples per evaluation forward: convolutions keep an im2col buffer per sample, so fewer. */
export function evalBatchFor(model: Sequential): number {
  return model.layers.some((l) => l instanceof Conv2d) ? 100 : 1000;
}

/** The sample order of one epoch: a pure function of (seed, epoch). */
export function epochOrder(seed: number, epoch: number, count: number): Int32Array {
  return new Rng(seed).stream('data').stream(`epoch-${epoch}`).permutation(count);
}

export function train(be: Backend, model: Sequential, data: Dataset, config: TrainConfig, hooks: TrainHooks = {}): TrainResult {
  const feat = features(data);
  if (model.inFeatures !== feat) throw new Error(`train: model expects ${model.inFeatures} inputs, dataset ${data.name} has ${feat}`);
  const B = config.batchSize;
  const train = data.train;
  if (train.count < B) throw new Error(`train: batch size ${B} exceeds the ${train.count} training samples`);
  const batchesPerEpoch = Math.floor(train.count / B);
  // The batch laid out as the first layer reads it in place (rows padded to whole vectors, 64-byte aligned).
  const ld = model.inputStride(B);
  const x = new Scratch(true).get(feat * ld, be);
  const labels = new Int32Array(B);

  let iteration = hooks.startIteration ?? 0;
  let history: EvalRecord[] = [];
  let lossSum = 0, lossCount = 0, wallBefore = 0, stepBefore = 0;
  if (hooks.resume) restore(model, hooks.resume.model); // re-lays out the weights: before the optimizer binds to them
  let optimizer = new Optimizer(model.params(), config.optimizer);
  if (hooks.resume) {
    const s = hooks.resume;
    optimizer.setState(s.optimizer);
    iteration = s.iteration; history = s.history.slice(); lossSum = s.lossSum; lossCount = s.lossCount;
    wallBefore = s.wallSeconds; stepBefore = s.stepSeconds;
  }
  const started = performance.now();
  let stepMs = 0;
  const wall = (): number => wallBefore + (performance.now() - started) / 1000;
  const stateNow = (): TrainerState => ({
    iteration, model: snapshot(model), optimizer: optimizer.getState(), history: history.slice(),
    lossSum, lossCount, wallSeconds: wall(), stepSeconds: stepBefore + stepMs / 1000,
  });
  const record = (): void => {
    const val = evaluateSplit(be, model, data.validation, feat, config.evalBatch ?? evalBatchFor(model));
    const test = evaluateSplit(be, model, data.test, feat, config.evalBatch ?? evalBatchFor(model));
    const r: EvalRecord = {
      iteration, trainLoss: lossCount ? lossSum / lossCount : NaN,
      valLoss: val.loss, valAccuracy: val.accuracy, testLoss: test.loss, testAccuracy: test.accuracy,
    };
    lossSum = 0; lossCount = 0;
    history.push(r);
    hooks.onEval?.(r);
  };

  if (!hooks.resume) record();
  let order: Int32Array | null = null, orderEpoch = -1;
  while (iteration < config.iterations) {
    const epoch = Math.floor(iteration / batchesPerEpoch), pos = iteration % batchesPerEpoch;
    if (epoch !== orderEpoch) { order = epochOrder(config.seed, epoch, train.count); orderEpoch = epoch; }
    const idx = order!.subarray(pos * B, pos * B + B);
    const t0 = performance.now();
    hooks.beforeStep?.(iteration);
    be.gatherColumns(train.images, feat, idx, B, x, ld);
    for (let b = 0; b < B; b++) labels[b] = train.labels[idx[b]!]!;
    const loss = model.lossAndGrad(be, x, labels, B, ld) / B;
    optimizer.update(be);
    const remap = hooks.afterUpdate?.(iteration + 1);
    if (remap) {
      const s = remap(optimizer.getState());
      optimizer = new Optimizer(model.params(), config.optimizer);
      optimizer.setState(s);
    }
    stepMs += performance.now() - t0;
    if (!Number.isFinite(loss)) throw new UserError(`training diverged: the loss became ${loss} at iteration ${iteration + 1} (--lr ${config.optimizer.lr} too high?)`);
    lossSum += loss; lossCount++;
    iteration++;
    hooks.onStep?.(iteration, config.iterations, loss);
    if (iteration % config.evalEvery === 0 || iteration === config.iterations) record();
    if (hooks.onCheckpoint && hooks.checkpointEvery && iteration % hooks.checkpointEvery === 0 && iteration < config.iterations) {
      hooks.onCheckpoint(stateNow());
    }
  }
  const withVal = data.validation.count > 0;
  const earlyStop = history.reduce((best, r) => (withVal ? r.valLoss < best.valLoss : r.iteration > best.iteration) ? r : best);
  return {
    history, earlyStop, final: history[history.length - 1]!, wallSeconds: wall(),
    stepSeconds: stepBefore + stepMs / 1000, iterations: iteration,
    warnings: divergenceWarnings(history, data.classes, config.optimizer.lr),
  };
}

// The evaluation batch's input, reused across calls: a fresh [features × 1000] array per evaluation was ≈ 7% of a
// lottery run's time (3 MB zeroed and collected, twice per evaluation).
const evalInput = new Scratch();

/** Mean loss and accuracy of the model on a split (NaN for an empty split). */
export function evaluateSplit(be: Backend, model: Sequential, split: Split, feat: number, evalBatch: number): { loss: number; accuracy: number } {
  if (split.count === 0) return { loss: NaN, accuracy: NaN };
  const bs = Math.min(evalBatch, split.count);
  const x = evalInput.get(feat * bs);
  const idx = new Int32Array(bs);
  const labels = new Int32Array(bs);
  let loss = 0, correct = 0;
  for (let start = 0; start < split.count; start += bs) {
    const n = Math.min(bs, split.count - start);
    for (let b = 0; b < n; b++) { idx[b] = start + b; labels[b] = split.labels[start + b]!; }
    be.gatherColumns(split.images, feat, idx.subarray(0, n), n, x);
    const r = model.evaluate(be, x, labels.subarray(0, n), n);
    loss += r.loss; correct += r.correct;
  }
  return { loss: loss / split.count, accuracy: correct / split.count };
}
