// `winnow evolve`: canonical NEAT on XOR, pole balancing or image classification — flags from the NEAT
import { registerExperiment } from './experiment-command.js';
// experiment's table (src/experiments/evolve/); --evaluate replays a saved genome instead.
import type { Command } from 'commander';
import { evaluateGenome, evolveExperiment, type EvolveSummary, type Launched } from '../experiments/index.js';

const fmt = (d: { mean: number; median: number; std: number; min: number; max: number }, digits = 0): string => {
  const r = (x: number): string => x.toFixed(digits);
  return `mean ${r(d.mean)}  median ${r(d.median)}  std ${r(d.std)}  min ${r(d.min)}  max ${r(d.max)}`;
};

function print(l: Launched<unknown, never, unknown, EvolveSummary>, store: string): void {
  const { task, seeds, summary: s, runs, outDir } = l.summary;
  const out = (line: string): void => { process.stdout.write(line + '\n'); };
  if (runs.length === 1) {
    const r = runs[0]!;
    out(`${r.solved ? 'solved' : 'not solved'} after ${r.generations} generations, ${r.evaluations} evaluations; best genome: ${r.hidden} hidden nodes, ${r.enabled} enabled connections, fitness ${r.fitness}`);
    if (r.championCheck) out(`champion check: ${JSON.stringify(r.championCheck.info)}`);
    if (Object.keys(r.report).length) out(`report: ${JSON.stringify(r.report)}`);
    out(`outputs in ${r.outDir} (best-genome.json, generations.csv/json, network.svg, progress.svg, result.json); indexed as ${l.runId} in ${store}/`);
    return;
  }
  out(`${task}: ${runs.length} runs (seeds ${seeds[0]}..${seeds[1]}), failures ${s.failures}`);
  out(`evaluations:          ${fmt(s.evaluations)}`);
  out(`generations:          ${fmt(s.generations, 1)}`);
  out(`hidden nodes:         ${fmt(s.hiddenNodes, 2)}`);
  out(`enabled connections:  ${fmt(s.enabledConnections, 2)}`);
  if (s.generalization) out(`generalization (/625): ${fmt(s.generalization, 1)}`);
  out(`per-run results in ${outDir}/summary.json, chart ${outDir}/evaluations.svg; indexed as ${l.runId} in ${store}/`);
}

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: evolveExperiment,
    command: 'evolve',
    options: (cmd) => cmd
      .option('--resume', 'accepted for compatibility: rerunning the same command always resumes (finished seeds are read back, an interrupted one continues from its checkpoint)')
      .option('--evaluate <genome.json>', 'evaluate a saved genome (a run\'s best-genome.json) on the task instead of evolving: fitness, success, champion check, report'),
    instead(h, flags) {
      if (flags['evaluate'] === undefined) return false;
      const r = evaluateGenome(h, String(flags['evaluate']));
      if (flags.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return true; }
      process.stdout.write(`${r.task}: fitness ${r.fitness}, ${r.solved ? 'solves' : 'does not solve'} the task; ${r.hidden} hidden nodes, ${r.enabled} enabled connections\n`);
      if (r.championCheck) process.stdout.write(`champion check: ${JSON.stringify(r.championCheck.info)}\n`);
      if (Object.keys(r.report).length) process.stdout.write(`report: ${JSON.stringify(r.report)}\n`);
      return true;
    },
    json: (l) => {
      const s = l.summary as EvolveSummary;
      return s.runs.length === 1 ? { ...s.runs[0], runId: l.runId } : { task: s.task, seeds: s.seeds, summary: s.summary, runs: s.runs, outDir: s.outDir, runId: l.runId };
    },
    print: (l, flags) => print(l as Launched<unknown, never, unknown, EvolveSummary>, flags.store),
  });
}
