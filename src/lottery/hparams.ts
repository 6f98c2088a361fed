// Lottery-ticket hyperparameters: the typed input of the IMP library (runner.ts). Their flags, help,
// defaults and checks are declared once, in src/experiments/lottery/params.ts.
import type { InitKind } from '../nn/init.js';
import type { OptimizerKind } from '../optim/optimizer.js';

export const BRANCHES = ['ticket', 'reinit', 'random-prune', 'finetune'] as const;
export type Branch = typeof BRANCHES[number];

export interface LotteryHparams {
  model: string;
  dataset: string;
  /** Where the named dataset's files are ('' = $WINNOW_DATA, the user cache, system directories). */
  dataDir: string;
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
  /** A winnow model file (e.g. from import-weights) whose weights are θ0 instead of a random init ('' = random). */
  initFrom: string;
}
