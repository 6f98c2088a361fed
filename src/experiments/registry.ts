// Every experiment by its run kind. Adding an experiment: one folder under src/experiments/ exporting an
// Experiment, and one line here (the CLI command is one file in src/cli/ calling registerExperiment).
import type { AnyExperiment } from './experiment.js';
import { compareExperiment } from './compare/index.js';
import { evolveExperiment } from './evolve/index.js';
import { lotteryExperiment } from './lottery/index.js';
import { neatVsTicketsExperiment } from './neat-vs-tickets/index.js';
import { trainExperiment } from './train/index.js';
import { sparseTrainExperiment } from './sparse-train/index.js';
import { sparseStudyExperiment } from './sparse-study/index.js';

export const EXPERIMENTS: Record<string, AnyExperiment> = {
  lottery: lotteryExperiment,
  neat: evolveExperiment,
  compare: compareExperiment,
  neat_vs_tickets: neatVsTicketsExperiment,
  train: trainExperiment,
  sparse_train: sparseTrainExperiment,
  sparse_study: sparseStudyExperiment,
};
