// Lottery-ticket hyperparameters: one typed object with defaults. A run's id hashes the values
// that differ from these defaults (open_lth's scheme), so rerunning a command finds its run and
// resumes, and adding a hyperparameter with a no-op default keeps old ids valid.
import type { InitKind } from '../nn/init.js';
import type { OptimizerKind } from '../optim/optimizer.js';
import { UserError } from '../util/errors.js';

export const BRANCHES = ['ticket', 'reinit', 'random-prune', 'finetune'] as const;
export type Branch = typeof BRANCHES[number];

export interface LotteryHparams {
  model: string;
  dataset: string;
  /** Training images held out for validation; -1 = the dataset's default. */
  validation: number;
  init: InitKind;
  optimizer: OptimizerKind;
  lr: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  /** Optimizer steps per level (the full budget, including the rewind iterations). */
  iterations: number;
  evalEvery: number;
  /** Pruning levels after the dense level 0. */
  levels: number;
  strategy: 'layerwise' | 'global';
  /** Fraction of remaining weights removed per round: fc layers, conv layers, the output layer. */
  rateFc: number;
  rateConv: number;
  rateOutput: number;
  /** One-shot pruning straight to this overall density at level 1 (0 = iterative). */
  oneShot: number;
  /** Rewind surviving weights to their values at this iteration (0 = reset to initialization). */
  rewindIter: number;
  /** Control branches trained at every level ≥ 1 besides the ticket. */
  controls: Branch[];
  replicates: number;
  seed: number;
  sparseThreshold: number;
}

export const LOTTERY_DEFAULTS: LotteryHparams = {
  model: 'lenet300', dataset: 'fashion-mnist-mini', validation: -1, init: 'glorot-normal',
  optimizer: 'adam', lr: 1.2e-3, momentum: 0.9, weightDecay: 0, batchSize: 60, iterations: 1500, evalEvery: 100,
  levels: 15, strategy: 'layerwise', rateFc: 0.2, rateConv: 0.1, rateOutput: 0.1, oneShot: 0, rewindIter: 0,
  controls: ['reinit', 'random-prune'], replicates: 1, seed: 0, sparseThreshold: 0.3,
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
