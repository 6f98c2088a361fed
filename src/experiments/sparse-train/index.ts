// `winnow sparse-train`: one sparse-from-the-start method (static random, SET, RigL, SNIP, GraSP, SynFlow) at a
// density, with an optional ablation, replicated; one job per replicate (seed + r), each storing its summary and
// evaluation history. The methods live in src/sparsetrain/ (sources and defaults there).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadSparseCheckpoint, saveSparseCheckpoint } from '../../sparsetrain/checkpoint.js';
import { getBackend } from '../../backend/index.js';
import type { Backend } from '../../backend/backend.js';
import type { Dataset } from '../../data/dataset.js';
import { loadDataset } from '../../data/registry.js';
import { INIT_KINDS, type InitKind } from '../../nn/init.js';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../../optim/optimizer.js';
import { meanStd, type MeanStd } from '../../report/stats.js';
import { formatTable } from '../../report/table.js';
import { DISTRIBUTIONS, type Distribution } from '../../sparsetrain/budget.js';
import { ABLATIONS, DEFAULTS, METHODS, runSparseTraining, validateOptions, type Ablation, type Method, type SparseCheckpointing, type SparseTrainOptions, type SparseTrainSummary } from '../../sparsetrain/run.js';

/** A job's checkpoint, in its directory. */
export const CHECKPOINT_FILE = 'checkpoint.wt';
import { UserError } from '../../util/errors.js';
import { choiceFlag, intFlag, numberFlag } from '../../util/flags.js';
import type { MetricRow } from '../../store/db.js';
import type { Experiment, JobSpec } from '../experiment.js';

export interface SparseTrainHparams {
  model: string; dataset: string; validation: number; method: Method; density: number; distribution: Distribution; ablation: Ablation;
  iterations: number; epochs: number; batchSize: number; optimizer: OptimizerKind; lr: number; momentum: number; weightDecay: number;
  init: InitKind; evalEvery: number; seed: number; replicates: number;
  zeta: number; alpha: number; deltaT: number; endFraction: number; scoreBatch: number; sparseThreshold: number;
}

export type SparseTrainSpec = JobSpec & { replicate: number };
export interface SparseTrainContext { be: Backend; data: Dataset }
export interface SparseTrainRunSummary {
  dataset: string; results: SparseTrainSummary[];
  earlyStopTestAccuracy: MeanStd; finalTestAccuracy: MeanStd; stepSeconds: MeanStd; macs: MeanStd;
}

const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.1, momentum: 0.01, adam: 1.2e-3 };

export const SPARSE_TRAIN_PARAMS: Experiment<SparseTrainHparams, SparseTrainSpec, SparseTrainSummary, SparseTrainContext, SparseTrainRunSummary>['params'] = {
  model: { flag: '--model <spec>', help: 'lenet300 | conv2 | conv4 | conv6 | mlp:… | conv:…', parse: String, default: 'lenet300' },
  dataset: { flag: '--dataset <name>', help: 'fashion-mnist-mini (embedded) | fashion-mnist | mnist | synthetic:…', parse: String, default: 'fashion-mnist-mini' },
  validation: { flag: '--validation <n>', help: 'training images held out for validation (-1: dataset default)', parse: intFlag('--validation', -1), default: -1 },
  method: { flag: '--method <m>', help: METHODS.join(' | '), parse: choiceFlag('--method', METHODS), default: 'rigl' },
  density: { flag: '--density <d>', help: 'fraction of all weight-layer weights kept, in (0, 1]', parse: numberFlag('--density', 0, 1, true), default: 0.05 },
  distribution: { flag: '--distribution <d>', help: 'per-layer budget of static/set/rigl: erk | uniform (scoring methods rank globally)', parse: choiceFlag('--distribution', DISTRIBUTIONS), default: 'erk' },
  ablation: { flag: '--ablation <a>', help: 'none | shuffle (each layer\'s mask) | reinit (fresh weights, same mask) | invert (scores; snip/grasp/synflow)', parse: choiceFlag('--ablation', ABLATIONS), default: 'none' },
  iterations: { flag: '--iterations <n>', help: 'training steps', parse: intFlag('--iterations', 1), default: 1500 },
  epochs: { flag: '--epochs <n>', help: 'training length in epochs instead of --iterations (0: use --iterations)', parse: intFlag('--epochs', 0, 100000), default: 0 },
  batchSize: { flag: '--batch-size <n>', help: 'mini-batch size', parse: intFlag('--batch-size', 1, 65536), default: 60 },
  optimizer: { flag: '--optimizer <kind>', help: OPTIMIZER_KINDS.join(' | '), parse: choiceFlag('--optimizer', OPTIMIZER_KINDS), default: 'adam' },
  lr: { flag: '--lr <rate>', help: 'learning rate (0: adam 1.2e-3, sgd 0.1, momentum 0.01)', parse: numberFlag('--lr', 0, 100), default: 0 },
  momentum: { flag: '--momentum <mu>', help: 'momentum coefficient', parse: numberFlag('--momentum', 0, 1), default: 0.9 },
  weightDecay: { flag: '--weight-decay <wd>', help: 'L2 weight decay', parse: numberFlag('--weight-decay', 0, 1), default: 0 },
  init: { flag: '--init <kind>', help: INIT_KINDS.join(' | '), parse: choiceFlag('--init', INIT_KINDS), default: 'glorot-normal' },
  evalEvery: { flag: '--eval-every <n>', help: 'evaluate validation and test every n steps (0: 10 times per run)', parse: intFlag('--eval-every', 0), default: 0 },
  seed: { flag: '--seed <n>', help: 'base seed (replicate r uses seed + r)', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: 0 },
  replicates: { flag: '--replicates <n>', help: 'independent replicates; summaries are mean ± std', parse: intFlag('--replicates', 1, 1000), default: 1 },
  zeta: { flag: '--zeta <z>', help: 'SET: fraction of each sign removed per epoch', parse: numberFlag('--zeta', 0, 1), default: DEFAULTS.zeta },
  alpha: { flag: '--alpha <a>', help: 'RigL: initial drop fraction (cosine decay)', parse: numberFlag('--alpha', 0, 1), default: DEFAULTS.alpha },
  deltaT: { flag: '--delta-t <n>', help: 'RigL: steps between mask updates', parse: intFlag('--delta-t', 1), default: DEFAULTS.deltaT },
  endFraction: { flag: '--end-fraction <f>', help: 'RigL: stop updating masks after this fraction of training', parse: numberFlag('--end-fraction', 0, 1), default: DEFAULTS.endFraction },
  scoreBatch: { flag: '--score-batch <n>', help: 'SNIP: samples scored; GraSP: this / 10 samples per class', parse: intFlag('--score-batch', 1, 100000), default: DEFAULTS.snipBatch },
  sparseThreshold: { flag: '--sparse-threshold <d>', help: 'layers below this density run on the sparse kernels', parse: numberFlag('--sparse-threshold', 0, 1), default: 0.3 },
};

/** Checks across flags (one line naming the flags). */
export function resolveSparseTrain(h: SparseTrainHparams, given: ReadonlySet<keyof SparseTrainHparams>): SparseTrainHparams {
  if (given.has('epochs') && given.has('iterations')) throw new UserError('--epochs and --iterations are mutually exclusive: give one');
  validateOptions(h);
  if (given.has('distribution') && !['static', 'set', 'rigl'].includes(h.method)) {
    throw new UserError(`--distribution applies to static, set and rigl; --method ${h.method} ranks all layers together (global)`);
  }
  return h;
}

export function trainingLength(h: SparseTrainHparams, data: Dataset): { iterations: number; evalEvery: number } {
  const perEpoch = Math.floor(data.train.count / h.batchSize);
  if (perEpoch < 1) throw new UserError(`--batch-size ${h.batchSize} exceeds the ${data.train.count} training images of ${data.name}`);
  const iterations = h.epochs ? h.epochs * perEpoch : h.iterations;
  return { iterations, evalEvery: h.evalEvery || Math.max(1, Math.floor(iterations / 10)) };
}

/** Trains one replicate (the sparse-train job; the study runs the same). */
/**
 * Trains one replicate (the sparse-train job; the study runs the same). With `checkpoint`, the state is saved
 * at epoch boundaries (at most every `seconds`) to `path`, a run finding that file resumes from it, and the
 * file is removed when the run finishes.
 */
export function runReplicate(ctx: SparseTrainContext, h: SparseTrainHparams, replicate: number, step: (done: number, total: number) => void,
  opts: { start?: SparseTrainOptions['start']; checkpoint?: { path: string; seconds: number } } = {}): { result: SparseTrainSummary; metrics: MetricRow[] } {
  const { iterations, evalEvery } = trainingLength(h, ctx.data);
  const start = opts.start, cp = opts.checkpoint;
  let lastSave = performance.now();
  const ckpt: SparseCheckpointing = !cp ? {} : {
    resume: existsSync(cp.path) ? loadSparseCheckpoint(cp.path) : undefined,
    save: (c) => {
      if (performance.now() - lastSave < 1000 * cp.seconds) return;
      saveSparseCheckpoint(cp.path, c);
      lastSave = performance.now();
    },
  };
  const { summary, history } = runSparseTraining(ctx.be, ctx.data, {
    model: h.model, method: h.method, density: h.density, distribution: h.distribution, ablation: h.ablation,
    optimizer: { kind: h.optimizer, lr: h.lr || DEFAULT_LR[h.optimizer], momentum: h.momentum, weightDecay: h.weightDecay },
    batchSize: h.batchSize, iterations, evalEvery, seed: h.seed + replicate, init: h.init,
    zeta: h.zeta, alpha: h.alpha, deltaT: h.deltaT, endFraction: h.endFraction, scoreBatch: h.scoreBatch, sparseThreshold: h.sparseThreshold, start,
  }, (it, total) => { if (it % 50 === 0 || it === total) step(it, total); }, ckpt);
  if (cp) rmSync(cp.path, { force: true });
  return { result: summary, metrics: history.map((r) => ({ ...r })) };
}

export function openSparseContext(h: { dataset: string; seed: number; validation: number }, env: { backend: 'native' | 'reference'; emit: (e: { type: 'warning'; message: string } | { type: 'log'; message: string }) => void }): SparseTrainContext {
  const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
  const data = loadDataset(h.dataset, { seed: h.seed, validationSize: h.validation < 0 ? undefined : h.validation });
  env.emit({ type: 'log', message: `data ${data.name} (${data.source}), backend ${be.name} (${be.detail})` });
  return { be, data };
}

/** A stored replicate result read back (JSON: NaN became null). */
export function checkSparseResult(v: unknown, where: string): SparseTrainSummary {
  const o = v as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object') throw new UserError(`${where}: expected a sparse training summary`);
  for (const k of ['method', 'model', 'dataset']) if (typeof o[k] !== 'string') throw new UserError(`${where}: field '${k}' must be a string`);
  for (const k of ['density', 'targetDensity', 'iterations', 'maskUpdates']) if (typeof o[k] !== 'number') throw new UserError(`${where}: field '${k}' must be a number`);
  for (const k of ['earlyStop', 'final', 'macs', 'seconds']) if (typeof o[k] !== 'object' || o[k] === null) throw new UserError(`${where}: field '${k}' must be an object`);
  const es = o['earlyStop'] as Record<string, unknown>;
  if (es['valLoss'] === null) es['valLoss'] = NaN;
  return o as unknown as SparseTrainSummary;
}

export function summarizeReplicates(dataset: string, results: SparseTrainSummary[]): SparseTrainRunSummary {
  return {
    dataset, results,
    earlyStopTestAccuracy: meanStd(results.map((r) => r.earlyStop.testAccuracy)),
    finalTestAccuracy: meanStd(results.map((r) => r.final.testAccuracy)),
    stepSeconds: meanStd(results.map((r) => r.seconds.steps)),
    macs: meanStd(results.map((r) => r.macs.steps + r.macs.maskUpdates)),
  };
}

const pct = (s: MeanStd): string => !Number.isFinite(s.mean) ? '—' : s.n > 1 ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : (100 * s.mean).toFixed(2);

export function sparseTrainTable(results: SparseTrainSummary[]): string {
  return formatTable(['rep', 'method', 'density', 'test acc % (early stop)', 'final %', 'mask updates', 'GMACs', 'step s', 'update s'],
    results.map((r, i) => [i, r.method + (r.ablation !== 'none' ? `/${r.ablation}` : ''), `${(100 * r.density).toFixed(2)}%`, (100 * r.earlyStop.testAccuracy).toFixed(2),
      (100 * r.final.testAccuracy).toFixed(2), r.maskUpdates, ((r.macs.steps + r.macs.maskUpdates) / 1e9).toFixed(3), r.seconds.steps.toFixed(2), r.seconds.maskUpdates.toFixed(3)]));
}

export const sparseTrainExperiment: Experiment<SparseTrainHparams, SparseTrainSpec, SparseTrainSummary, SparseTrainContext, SparseTrainRunSummary> = {
  name: 'sparse_train',
  description: 'train sparse from the start: static random (ERK/uniform), SET, RigL, or a mask pruned at initialization (SNIP, GraSP, SynFlow), with the 2021 ablations',
  params: SPARSE_TRAIN_PARAMS,
  outsideIdentity: ['replicates'],
  resolve: resolveSparseTrain,
  describe: (h) => `${h.method}${h.ablation !== 'none' ? ` (${h.ablation})` : ''} at density ${h.density} on ${h.model}, ${h.dataset}, ${h.replicates} replicate(s)`,
  plan: (h) => Array.from({ length: h.replicates }, (_, r) => ({ key: `replicate_${r}`, label: `replicate ${r}`, replicate: r })),
  parallel: true, // replicates are independent: they run on --workers threads
  open: (h, env) => openSparseContext(h, env),
  runJob(ctx, spec, env) {
    const h = env.store.getRun(env.runId)!.hparams as unknown as SparseTrainHparams;
    const out = runReplicate(ctx, h, spec.replicate, (d, t) => env.step(d, t), { checkpoint: { path: join(env.dir, CHECKPOINT_FILE), seconds: env.checkpointSeconds } });
    for (const w of out.result.warnings) env.emit({ type: 'warning', message: `${spec.label}: ${w}` });
    return out;
  },
  checkResult: checkSparseResult,
  summarize: (ctx, _h, done) => summarizeReplicates(ctx.data.name, done.map((d) => d.result)),
  show: (_h, done) => sparseTrainTable(done.map((d) => d.result)),
};

export { pct as formatAccuracy };
