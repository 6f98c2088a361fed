// The lottery experiment's hyperparameters, each declared once: flag, help, parser, default. Named
// protocols pin a published setup; checks across flags name the flags.
import { BRANCHES, type Branch, type LotteryHparams } from '../../lottery/hparams.js';
import { INIT_KINDS } from '../../nn/init.js';
import { OPTIMIZER_KINDS } from '../../optim/optimizer.js';
import { UserError } from '../../util/errors.js';
import { choiceFlag, intFlag, numberFlag } from '../../util/flags.js';
import type { Params } from '../params.js';

function parseControls(v: string): Branch[] {
  if (v === 'none' || v === '') return [];
  const list = v.split(',').map((s) => s.trim());
  for (const c of list) {
    if (!(BRANCHES as readonly string[]).includes(c) || c === 'ticket') throw new UserError(`--controls: unknown control '${c}' (expected reinit, random-prune, finetune or none)`);
  }
  return [...new Set(list)] as Branch[];
}

export const LOTTERY_PARAMS: Params<LotteryHparams> = {
  model: { flag: '--model <spec>', help: 'lenet300 | conv2 | conv4 | conv6 | mlp:… | conv:…', parse: String, default: 'lenet300' },
  dataset: { flag: '--dataset <name>', help: 'fashion-mnist-mini (embedded) | fashion-mnist | mnist | synthetic:… | idx:DIR | csv:FILE[?label=NAME] | npy:X.npy,y.npy', parse: String, default: 'fashion-mnist-mini' },
  dataDir: { flag: '--data-dir <dir>', help: 'directory holding the dataset\'s IDX files (else $WINNOW_DATA, the user cache, system paths)', parse: String, default: '' },
  validation: { flag: '--validation <n>', help: 'training images held out for validation (-1: dataset default)', parse: intFlag('--validation', -1), default: -1 },
  init: { flag: '--init <kind>', help: INIT_KINDS.join(' | '), parse: choiceFlag('--init', INIT_KINDS), default: 'glorot-normal' },
  optimizer: { flag: '--optimizer <kind>', help: OPTIMIZER_KINDS.join(' | '), parse: choiceFlag('--optimizer', OPTIMIZER_KINDS), default: 'adam' },
  lr: { flag: '--lr <rate>', help: 'learning rate', parse: numberFlag('--lr', 0, 100, true), default: 1.2e-3 },
  momentum: { flag: '--momentum <mu>', help: 'momentum (optimizer momentum)', parse: numberFlag('--momentum', 0, 1), default: 0.9 },
  weightDecay: { flag: '--weight-decay <wd>', help: 'L2 weight decay', parse: numberFlag('--weight-decay', 0, 1), default: 0 },
  batchSize: { flag: '--batch-size <n>', help: 'mini-batch size', parse: intFlag('--batch-size', 1, 65536), default: 60 },
  iterations: { flag: '--iterations <n>', help: 'training steps per level', parse: intFlag('--iterations', 1), default: 1500 },
  evalEvery: { flag: '--eval-every <n>', help: 'evaluate validation and test every n steps', parse: intFlag('--eval-every', 1), default: 100 },
  levels: { flag: '--levels <n>', help: 'pruning levels after the dense level 0 (0.8^n of fc weights remain)', parse: intFlag('--levels', 0, 200), default: 15 },
  strategy: { flag: '--strategy <s>', help: 'layerwise (LTH LeNet/Conv) | global (one threshold over all layers)', parse: choiceFlag('--strategy', ['layerwise', 'global'] as const), default: 'layerwise' },
  rateFc: { flag: '--rate-fc <r>', help: 'fraction of remaining fc weights pruned per level', parse: numberFlag('--rate-fc', -Infinity, Infinity), default: 0.2 },
  rateConv: { flag: '--rate-conv <r>', help: 'fraction of remaining conv weights pruned per level (Conv-6: 0.15)', parse: numberFlag('--rate-conv', -Infinity, Infinity), default: 0.1 },
  rateOutput: { flag: '--rate-output <r>', help: 'fraction of remaining output-layer weights pruned per level', parse: numberFlag('--rate-output', -Infinity, Infinity), default: 0.1 },
  oneShot: { flag: '--one-shot <density>', help: 'prune once, straight to this overall density (with --levels 1); 0 = iterative', parse: numberFlag('--one-shot', -Infinity, Infinity), default: 0 },
  rewindIter: { flag: '--rewind-iter <k>', help: 'rewind survivors to their values at iteration k (0 = reset to init)', parse: intFlag('--rewind-iter', 0), default: 0 },
  controls: { flag: '--controls <list>', help: 'comma-separated control branches: reinit, random-prune, finetune (or none)', parse: parseControls, default: ['reinit', 'random-prune'] },
  replicates: { flag: '--replicates <n>', help: 'independent replicates (seeds seed, seed+1, …); summaries are mean ± std', parse: intFlag('--replicates', 1, 1000), default: 1 },
  seed: { flag: '--seed <n>', help: 'base seed (init, data order, masks)', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: 0 },
  initFrom: { flag: '--init-from <model.wnn>', help: 'start from these weights (a model file of the same --model, e.g. from import-weights) instead of a random init', parse: String, default: '' },
  sparseThreshold: { flag: '--sparse-threshold <d>', help: 'layers below this density run on the sparse kernels', parse: numberFlag('--sparse-threshold', 0, 1), default: 0.3 },
};

/** Named protocols: the values they pin. */
export const PROTOCOLS: Record<string, { summary: string; values: Partial<LotteryHparams> }> = {
  'lth-2019': {
    summary: 'Frankle & Carbin (ICLR 2019) LeNet-300-100: Adam 1.2e-3, batch 60, 50k iterations, 5k validation, eval every 100, layer-wise 20% (output 10%) per round, 15 levels (3.6% of weights)',
    values: { model: 'lenet300', dataset: 'fashion-mnist', optimizer: 'adam', lr: 1.2e-3, batchSize: 60, iterations: 50000, validation: 5000, evalEvery: 100, strategy: 'layerwise', rateFc: 0.2, rateOutput: 0.1, levels: 15, rewindIter: 0, init: 'glorot-normal' },
  },
  quick: {
    summary: 'the default: LeNet-300-100 on the embedded Fashion-MNIST subset, 1,500 iterations per level, 15 levels (down to 3.6% of the weights)',
    values: {},
  },
};

/** Validates combinations that each flag alone cannot; throws a UserError naming the flags. */
export function validateHparams(h: LotteryHparams): void {
  for (const [flag, v] of [['--rate-fc', h.rateFc], ['--rate-conv', h.rateConv], ['--rate-output', h.rateOutput]] as const) {
    if (!(v >= 0 && v < 1)) throw new UserError(`${flag}: a pruning rate must be in [0, 1) (the fraction of remaining weights removed per round), got ${v}`);
  }
  if (h.levels > 0 && h.oneShot === 0 && h.rateFc === 0 && h.rateConv === 0 && h.rateOutput === 0) {
    throw new UserError('--levels > 0 with every pruning rate 0 would never prune: set --rate-fc/--rate-conv or --levels 0');
  }
  if (h.oneShot < 0 || h.oneShot >= 1) throw new UserError(`--one-shot: expected a target density in (0, 1), got ${h.oneShot}`);
  if (h.oneShot > 0 && h.levels !== 1) throw new UserError(`--one-shot prunes once, straight to the target: it needs --levels 1, got --levels ${h.levels}`);
  if (h.rewindIter >= h.iterations) throw new UserError(`--rewind-iter ${h.rewindIter} must be below --iterations ${h.iterations}`);
  if (h.evalEvery > h.iterations) throw new UserError(`--eval-every ${h.evalEvery} exceeds --iterations ${h.iterations}: there would be no evaluation during training`);
  for (const c of h.controls) if (!BRANCHES.includes(c) || c === 'ticket') throw new UserError(`--controls: unknown control '${c}' (expected reinit, random-prune, finetune)`);
}
