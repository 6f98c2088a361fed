// `winnow sparse-train`: flags from the sparse_train experiment's table; prints one row per replicate and the mean.
import type { Command } from 'commander';
import { sparseTrainExperiment, sparseTrainTable, formatAccuracy, type SparseTrainRunSummary } from '../experiments/index.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: sparseTrainExperiment,
    command: 'sparse-train',
    json: (l) => ({ runId: l.runId, hparams: l.hparams, summary: l.summary }),
    print(l) {
      const s = l.summary as SparseTrainRunSummary;
      console.log(sparseTrainTable(s.results));
      const layers = s.results[0]!.layers.map((x) => `${x.name} ${(100 * x.density).toFixed(2)}% ${x.storage}`).join(', ');
      console.log(`layers: ${layers}`);
      console.log(`test accuracy at early stop ${formatAccuracy(s.earlyStopTestAccuracy)}%, final ${formatAccuracy(s.finalTestAccuracy)}% (${s.results.length} replicate(s), run ${l.runId})`);
    },
  });
}
