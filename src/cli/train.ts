// `winnow train`: one network, dense or with a random mask — flags from the train experiment's table.
import type { Command } from 'commander';
import { trainExperiment, type TrainSummary } from '../experiments/index.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: trainExperiment,
    json: (l) => l.summary,
    print(l) {
      const s = l.summary as TrainSummary;
      const pct = (v: number): string => (100 * v).toFixed(2) + '%';
      console.log(`model ${s.model} on ${s.dataset} (${s.source}), backend ${s.backend} (${s.backendDetail}), seed ${s.seed}`);
      for (const x of s.layers) console.log(`  ${x.name.padEnd(6)} ${String(x.shape[0]).padStart(4)}×${String(x.shape[1]).padEnd(5)} density ${pct(x.density).padStart(7)}  ${x.storage}`);
      console.log(`trained ${s.iterations} iterations (${s.epochs.toFixed(2)} epochs) in ${s.wallSeconds.toFixed(2)} s (${s.stepSeconds.toFixed(2)} s in steps)`);
      console.log(`early stop at iteration ${s.earlyStop.iteration}: validation loss ${s.earlyStop.valLoss.toFixed(4)}, test accuracy ${pct(s.earlyStop.testAccuracy)}`);
      console.log(`final test accuracy ${pct(s.final.testAccuracy)}`);
      if (s.saved) console.log(`saved ${s.saved.path} (${s.saved.bytes} bytes, final weights)`);
    },
  });
}
