// `winnow compare`: the compression study — flags from the compare experiment's table; the table, the
// conclusions and the report's paths on stdout.
import type { Command } from 'commander';
import { compareExperiment, compareText, type StudyResult } from '../experiments/index.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: compareExperiment,
    json: (l) => {
      const r = l.summary as StudyResult;
      return { id: l.runId, runId: r.runId, points: r.points, conclusions: { ...r.conclusions, frontier: r.conclusions.frontier.map((p) => p.label) } };
    },
    print: (l) => console.log(compareText(l.summary as StudyResult)),
  });
}
