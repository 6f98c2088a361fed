// `winnow sparse-study`: flags from the sparse_study experiment's table; prints accuracy per method × density and
// the training-cost table, then the report's paths.
import type { Command } from 'commander';
import { sparseStudyExperiment, sparseStudyText, type SparseStudySummary } from '../experiments/index.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: sparseStudyExperiment,
    command: 'sparse-study',
    json: (l) => ({ runId: l.runId, hparams: l.hparams, summary: l.summary, report: l.reportFiles }),
    print(l) {
      console.log(sparseStudyText(l.summary as SparseStudySummary));
      for (const f of l.reportFiles) console.log(`wrote ${f}`);
    },
  });
}
