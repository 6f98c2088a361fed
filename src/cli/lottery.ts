// `winnow lottery`: flags, help and run id come from the lottery experiment's hyperparameter table
// (src/experiments/lottery/params.ts); the per-level table prints row by row as levels finish.
import type { Command } from 'commander';
import { lotteryExperiment } from '../experiments/index.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: lotteryExperiment,
    json: (l) => ({ runId: l.runId, hparams: l.hparams, summary: l.summary.levels, results: l.summary.results }),
  });
}
