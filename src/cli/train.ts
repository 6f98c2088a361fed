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
      if ('kind' in s && s.kind === 'lm') {
        console.log(`model ${s.model} (${s.parameters} parameters, vocabulary ${s.vocab}) on ${s.dataset} (${s.source}), backend ${s.backend} (${s.backendDetail}), seed ${s.seed}`);
        for (const x of s.layers) console.log(`  ${x.name.padEnd(18)} ${String(x.shape[0]).padStart(5)}×${String(x.shape[1]).padEnd(5)} density ${pct(x.density).padStart(7)}  ${x.storage}`);
        console.log(`trained ${s.iterations} iterations in ${s.wallSeconds.toFixed(1)} s (${s.msPerIteration.toFixed(1)} ms per iteration in steps)`);
        console.log(`estimated loss (--eval-iters batches): train ${s.final.estTrainLoss.toFixed(4)}, validation ${s.final.estValLoss.toFixed(4)} nats`);
        console.log(`validation loss over the whole split (${s.final.valTokens} characters): ${s.final.valLoss.toFixed(4)} nats = ${s.final.valBitsPerChar.toFixed(4)} bits per character`);
        if (s.saved) console.log(`saved ${s.saved.path} (${s.saved.bytes} bytes: the model and its vocabulary)`);
        return;
      }
      const c = s as Extract<TrainSummary, { earlyStop: unknown }>;
      console.log(`model ${c.model} on ${c.dataset} (${c.source}), backend ${c.backend} (${c.backendDetail}), seed ${c.seed}`);
      for (const x of c.layers) console.log(`  ${x.name.padEnd(6)} ${String(x.shape[0]).padStart(4)}×${String(x.shape[1]).padEnd(5)} density ${pct(x.density).padStart(7)}  ${x.storage}`);
      console.log(`trained ${c.iterations} iterations (${c.epochs.toFixed(2)} epochs) in ${c.wallSeconds.toFixed(2)} s (${c.stepSeconds.toFixed(2)} s in steps)`);
      console.log(`early stop at iteration ${c.earlyStop.iteration}: validation loss ${c.earlyStop.valLoss.toFixed(4)}, test accuracy ${pct(c.earlyStop.testAccuracy)}`);
      console.log(`final test accuracy ${pct(c.final.testAccuracy)}`);
      if (c.saved) console.log(`saved ${c.saved.path} (${c.saved.bytes} bytes, final weights)`);
    },
  });
}
