// One training run from plain options: build the model, optionally apply a random mask of a given
// density (to measure sparse execution), train, and summarize. Used by `winnow train`.
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import { buildModel } from '../models/build.js';
import { density as modelDensity } from '../models/state.js';
import type { InitKind } from '../nn/init.js';
import type { Sequential } from '../nn/sequential.js';
import { measuredSparseSwitch } from '../nn/sparse-switch.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { randomMask } from '../prune/random.js';
import { maskWarnings } from '../prune/check.js';
import { Rng } from '../util/rng.js';
import { train, type TrainHooks, type TrainResult } from './trainer.js';

export interface TrainRunOptions {
  model: string;
  optimizer: OptimizerConfig;
  batchSize: number;
  iterations: number;
  evalEvery: number;
  seed: number;
  init?: InitKind;
  /** Random mask keeping this fraction of every weight layer's weights (1 = dense). */
  density?: number;
  /**
   * Density below which a layer is stored sparse: a fixed number, or 'measured' (the default): the
   * dense/sparse break-even of each layer shape timed on this machine and cached (nn/sparse-switch.ts).
   */
  sparseThreshold?: number | 'measured';
}

export interface TrainRunSummary {
  model: string;
  dataset: string;
  backend: string;
  seed: number;
  density: number;
  layers: Array<{ name: string; shape: [number, number]; density: number; storage: string }>;
  iterations: number;
  epochs: number;
  earlyStop: { iteration: number; valLoss: number; valAccuracy: number; testAccuracy: number };
  final: { iteration: number; testAccuracy: number; testLoss: number };
  wallSeconds: number;
  stepSeconds: number;
  history: TrainResult['history'];
  /** Settings that ruined the run (a density leaving layers without weights, divergence); print them. */
  warnings: string[];
}

export function runTraining(be: Backend, data: Dataset, o: TrainRunOptions, hooks: TrainHooks = {}): TrainRunSummary {
  return trainModel(be, data, o, hooks).summary;
}

/** As runTraining, also returning the trained network (for `winnow train --save`). */
export function trainModel(be: Backend, data: Dataset, o: TrainRunOptions, hooks: TrainHooks = {}): { summary: TrainRunSummary; model: Sequential } {
  const rng = new Rng(o.seed);
  const threshold = o.sparseThreshold ?? 'measured';
  const sparseThreshold = threshold === 'measured' ? measuredSparseSwitch(be, o.batchSize) : threshold;
  const model = buildModel(o.model, data.shape, data.classes, rng, { init: o.init, sparseThreshold });
  if (o.density !== undefined && o.density < 1) {
    const maskRng = rng.stream('density-mask');
    for (const l of model.weightLayers()) {
      l.setWeights(l.weights.toDense(), randomMask(l.weights.rows * l.weights.cols, o.density, maskRng));
    }
  }
  const warnings = o.density !== undefined && o.density < 1
    ? maskWarnings(model.weightLayers().map((l, i, all) => ({ name: l.name, mask: l.weights.toMask(), rows: l.weights.rows, isOutput: i === all.length - 1 })), `--density ${o.density}`)
    : [];
  const result = train(be, model, data, {
    optimizer: o.optimizer, batchSize: o.batchSize, iterations: o.iterations, evalEvery: o.evalEvery, seed: o.seed,
  }, hooks);
  const e = result.earlyStop;
  const summary: TrainRunSummary = {
    model: o.model, dataset: data.name, backend: be.name, seed: o.seed, density: modelDensity(model),
    layers: model.weightLayers().map((l) => ({ name: l.name, shape: [l.weights.rows, l.weights.cols], density: l.weights.density, storage: l.weights.storage })),
    iterations: result.iterations, epochs: result.iterations * o.batchSize / data.train.count,
    earlyStop: { iteration: e.iteration, valLoss: e.valLoss, valAccuracy: e.valAccuracy, testAccuracy: e.testAccuracy },
    final: { iteration: result.final.iteration, testAccuracy: result.final.testAccuracy, testLoss: result.final.testLoss },
    wallSeconds: result.wallSeconds, stepSeconds: result.stepSeconds, history: result.history,
    warnings: [...warnings, ...result.warnings],
  };
  return { summary, model };
}
