// `winnow train` as an experiment: one network (dense, or with a random mask of a given density) trained
// once, its summary and evaluation history stored, its final weights kept in the job directory as a winnow
// model file (model.wnn) that --save copies out — also when the run is read back instead of retrained.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../../backend/index.js';
import { loadDataset } from '../../data/registry.js';
import { saveModel } from '../../io/model-io.js';
import { INIT_KINDS, type InitKind } from '../../nn/init.js';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../../optim/optimizer.js';
import { trainModel, type TrainRunSummary } from '../../train/run.js';
import { jobDir } from '../../store/layout.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { choiceFlag, intFlag, numberFlag } from '../../util/flags.js';
import type { Experiment, JobSpec } from '../experiment.js';
import { gptConfig, isGptSpec } from '../../models/gpt.js';
import { isTextDatasetSpec } from '../../data/text.js';
import { LM_DEFAULTS, checkLmResult, runLmJob, type LmResult } from './lm.js';
import { defaultsOf } from '../params.js';

export interface TrainHparams {
  model: string; dataset: string; dataDir: string; epochs: number; iterations: number; batchSize: number;
  optimizer: OptimizerKind; lr: number; momentum: number; weightDecay: number; init: InitKind;
  density: number; seed: number; evalEvery: number; validation: number; save: string;
  /** language models (gpt:…) only */
  minLr: number; warmup: number; gradClip: number; evalIters: number;
}
type ClassifierResult = Omit<TrainRunSummary, 'history'> & { source: string; backendDetail: string };
export type TrainSummary = (ClassifierResult | LmResult) & { saved: { path: string; bytes: number } | null };

const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.1, momentum: 0.01, adam: 1.2e-3 };
const MODEL_FILE = 'model.wnn';

export const trainExperiment: Experiment<TrainHparams, JobSpec, ClassifierResult | LmResult, TrainHparams, TrainSummary> = {
  name: 'train',
  description: 'train a network and report test accuracy at the early-stopping iteration (minimum validation loss)',
  params: {
    model: { flag: '--model <spec>', help: 'lenet300 | conv2 | conv4 | conv6 | mlp:784-300-10 | conv:32-pool/128 | gpt:LAYERS-HEADS-WIDTH-CONTEXT[-untied] (a language model, e.g. gpt:4-4-128-64)', parse: String, default: 'lenet300' },
    dataset: { flag: '--dataset <name>', help: 'fashion-mnist-mini (embedded) | fashion-mnist | mnist | synthetic:blobs | synthetic:images | idx:DIR | csv:FILE[?label=NAME] | npy:X.npy,y.npy; for gpt: shakespeare-char (embedded) | text:FILE', parse: String, default: 'fashion-mnist-mini' },
    dataDir: { flag: '--data-dir <dir>', help: 'directory holding the IDX files (else $WINNOW_DATA, the user cache, system paths)', parse: String, default: '' },
    epochs: { flag: '--epochs <n>', help: 'training length in epochs (0: 1 epoch unless --iterations)', parse: intFlag('--epochs', 1, 100000), default: 0 },
    iterations: { flag: '--iterations <n>', help: 'training length in optimizer steps (instead of --epochs)', parse: intFlag('--iterations', 1), default: 0 },
    batchSize: { flag: '--batch-size <n>', help: 'mini-batch size', parse: intFlag('--batch-size', 1, 65536), default: 60 },
    optimizer: { flag: '--optimizer <kind>', help: OPTIMIZER_KINDS.join(' | '), parse: choiceFlag('--optimizer', OPTIMIZER_KINDS), default: 'adam' },
    lr: { flag: '--lr <rate>', help: 'learning rate (0: adam 1.2e-3, sgd 0.1, momentum 0.01)', parse: numberFlag('--lr', 0, 100, true), default: 0 },
    momentum: { flag: '--momentum <mu>', help: 'momentum coefficient', parse: numberFlag('--momentum', 0, 1), default: 0.9 },
    weightDecay: { flag: '--weight-decay <wd>', help: 'L2 weight decay', parse: numberFlag('--weight-decay', 0, 1), default: 0 },
    init: { flag: '--init <kind>', help: INIT_KINDS.join(' | '), parse: choiceFlag('--init', INIT_KINDS), default: 'glorot-normal' },
    density: { flag: '--density <d>', help: 'keep a random fraction d of every weight layer, in (0, 1] (sparse execution below the threshold)', parse: numberFlag('--density', 0, 1, true), default: 1 },
    seed: { flag: '--seed <n>', help: 'random seed (init, data order, masks)', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: 0 },
    evalEvery: { flag: '--eval-every <n>', help: 'evaluate on validation and test every n iterations (0: once per epoch)', parse: intFlag('--eval-every', 1), default: 0 },
    validation: { flag: '--validation <n>', help: 'training images held out for validation (-1: 5000 for the full datasets)', parse: intFlag('--validation', 0), default: -1 },
    minLr: { flag: '--min-lr <rate>', help: 'gpt: learning rate at the end of the cosine decay (0: --lr / 10)', parse: numberFlag('--min-lr', 0, 100), default: 0 },
    warmup: { flag: '--warmup <n>', help: 'gpt: linear warmup iterations', parse: intFlag('--warmup', 0), default: 100 },
    gradClip: { flag: '--grad-clip <norm>', help: 'gpt: clip the global gradient norm to this (0: off)', parse: numberFlag('--grad-clip', 0, 1e6), default: 1 },
    evalIters: { flag: '--eval-iters <n>', help: 'gpt: random batches per split for each loss estimate', parse: intFlag('--eval-iters', 1, 100000), default: 20 },
    save: { flag: '--save <path>', help: 'also write the trained network (final weights, fp32, smallest lossless encoding) here, for compress/infer', parse: String, default: '' },
  },
  outsideIdentity: ['save'],
  // The default dataset was full Fashion-MNIST before it became the embedded subset (as for lottery and
  // compare): run ids stay hashed against the old default, so a stored full-dataset run is never
  // resumed as a subset run.
  idBaseline: () => {
    const { save: _s, ...rest } = defaultsOf(trainExperiment.params);
    return { ...rest, dataset: 'fashion-mnist' };
  },
  resolve(h, given) {
    if (given.has('epochs') && given.has('iterations')) throw new UserError('--epochs and --iterations are mutually exclusive: give one');
    if (isGptSpec(h.model)) {
      if (given.has('epochs')) throw new UserError('--epochs: a gpt model trains for --iterations (random windows, no epochs)');
      gptConfig(h.model, 1); // the spec's shape and limits, before a run starts
      const out = { ...h };
      for (const [k, v] of Object.entries(LM_DEFAULTS)) if (!given.has(k as keyof TrainHparams)) (out as Record<string, unknown>)[k] = v;
      if (!isTextDatasetSpec(out.dataset)) throw new UserError(`--dataset ${out.dataset}: a gpt model needs text (shakespeare-char or text:FILE)`);
      for (const k of ['optimizer', 'momentum', 'init', 'validation'] as const) if (given.has(k)) throw new UserError(`--${k}: not used by gpt models (AdamW, nanoGPT's initialization, the 90/10 split)`);
      return out;
    }
    if (isTextDatasetSpec(h.dataset)) throw new UserError(`--dataset ${h.dataset}: text datasets train language models (--model gpt:…)`);
    return h;
  },
  describe: (h) => `${h.model} on ${h.dataset}, ${isGptSpec(h.model) ? 'AdamW' : h.optimizer}, seed ${h.seed}${h.density < 1 ? `, density ${h.density}` : ''}`,
  plan: () => [{ key: 'train', label: 'train' }],
  parallel: true,
  open: (h) => h,
  runJob(h, _spec, env) {
    if (isGptSpec(h.model)) return runLmJob(h, env, MODEL_FILE);
    const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
    const data = loadDataset(h.dataset, { dataDir: h.dataDir || undefined, seed: h.seed, validationSize: h.validation < 0 ? undefined : h.validation });
    const perEpoch = Math.floor(data.train.count / h.batchSize);
    if (perEpoch < 1) throw new UserError(`--batch-size ${h.batchSize} exceeds the ${data.train.count} training images of ${data.name}`);
    const iterations = h.iterations || (h.epochs || 1) * perEpoch;
    let last = 0;
    const { summary, model } = trainModel(be, data, {
      model: h.model, batchSize: h.batchSize, iterations, evalEvery: h.evalEvery || perEpoch, seed: h.seed, init: h.init, density: h.density,
      optimizer: { kind: h.optimizer, lr: h.lr || DEFAULT_LR[h.optimizer], momentum: h.momentum, weightDecay: h.weightDecay },
    }, {
      onStep: (it, _total, loss) => { if (it - last >= 20 || it === iterations) { env.step(it, iterations, { loss: loss.toFixed(4) }); last = it; } },
      onEval: (r) => env.metric({ ...r }),
    });
    saveModel(join(env.dir, MODEL_FILE), model, { spec: h.model, inputShape: [data.shape[0], data.shape[1], data.shape[2]], classes: data.classes, dataset: data.name },
      { format: 'fp32', encoding: 'auto', meta: { seed: h.seed, testAccuracy: summary.final.testAccuracy } });
    for (const w of summary.warnings) env.emit({ type: 'warning', message: w });
    const { history, ...rest } = summary;
    return { result: { ...rest, source: data.source, backendDetail: be.detail }, metrics: history.map((r) => ({ ...r })) };
  },
  checkResult(v, where) {
    const o = v as Record<string, unknown> | null;
    if (o !== null && typeof o === 'object' && o['kind'] === 'lm') return checkLmResult(o, where);
    if (o === null || typeof o !== 'object' || typeof o['model'] !== 'string' || typeof o['iterations'] !== 'number' || typeof o['earlyStop'] !== 'object') {
      throw new UserError(`${where}: expected a training summary {model, iterations, earlyStop, final, …}`);
    }
    return o as unknown as ClassifierResult;
  },
  artifacts: () => [MODEL_FILE],
  summarize(_ctx, h, done, env) {
    const r = done[0]!.result;
    let saved: TrainSummary['saved'] = null;
    if (h.save) {
      const from = join(jobDir(env.root, env.runId, 'train'), MODEL_FILE);
      if (!existsSync(from)) throw new UserError(`${from} is missing: run 'winnow runs repair ${env.runId}' and rerun to retrain it`);
      const bytes = readFileSync(from);
      writeFileAtomic(h.save, bytes);
      saved = { path: h.save, bytes: bytes.length };
    }
    return { ...r, saved };
  },
};
