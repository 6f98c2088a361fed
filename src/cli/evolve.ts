// `winnow evolve`: canonical NEAT on XOR, pole balancing (single, double with/without velocities) or
// image classification. Progress on stderr; --json prints one JSON document on stdout.
import { join } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { UserError } from '../util/errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { loadConfigFile, resolveConfig, type NeatConfig } from '../neat/config.js';
import { makeEvaluator } from '../neat/evaluate-parallel.js';
import { resultSummary, runNeat, type GenerationStats, type RunResult } from '../neat/run.js';
import { TASK_NAMES } from '../neat/tasks/index.js';
import type { TaskSpec } from '../neat/tasks/task.js';
import { classifyOptions } from '../neat/tasks/classify.js';

function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UserError(`--${name}: expected an integer, got '${v}'`);
  const n = Number(v);
  if (n < min) throw new UserError(`--${name}: must be at least ${min}, got ${n}`);
  return n;
}

async function taskSpec(task: string, seed: number): Promise<TaskSpec> {
  if (task !== 'classify') return { name: task };
  let mod: { loadDataset?: (name: string, o: { seed: number }) => Promise<unknown> | unknown };
  try {
    // The dataset layer (src/data/) is written separately; loaded lazily so the other tasks never depend on it.
    mod = (await import(new URL('../data/registry.js', import.meta.url).href)) as typeof mod;
  } catch {
    throw new UserError(`evolve --task classify: the dataset layer (src/data/registry.ts, loadDataset) is not available in this build`);
  }
  if (typeof mod.loadDataset !== 'function') throw new UserError('evolve --task classify: src/data/registry.js has no loadDataset()');
  const d = await mod.loadDataset('fashion-mnist-mini', { seed });
  return { name: 'classify', options: classifyOptions(d as Parameters<typeof classifyOptions>[0], 1000, seed) };
}

export interface Distribution { mean: number; median: number; std: number; min: number; max: number }
export function distribution(xs: number[]): Distribution {
  if (xs.length === 0) return { mean: NaN, median: NaN, std: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { mean, median, std, min: s[0]!, max: s[s.length - 1]! };
}

export function summarizeRuns(runs: RunResult[]): Record<string, unknown> {
  const ok = runs.filter((r) => r.solved);
  const gen = ok.map((r) => r.report.generalization).filter((x): x is number => typeof x === 'number');
  return {
    runs: runs.length,
    failures: runs.length - ok.length,
    evaluations: distribution(ok.map((r) => r.evaluations)),
    generations: distribution(ok.map((r) => r.generations)),
    hiddenNodes: distribution(ok.map((r) => r.hidden)),
    enabledConnections: distribution(ok.map((r) => r.enabled)),
    ...(gen.length ? { generalization: distribution(gen) } : {}),
  };
}

function fmt(d: Distribution, digits = 0): string {
  const r = (x: number) => x.toFixed(digits);
  return `mean ${r(d.mean)}  median ${r(d.median)}  std ${r(d.std)}  min ${r(d.min)}  max ${r(d.max)}`;
}

export function register(program: Command): void {
  program
    .command('evolve')
    .description('evolve networks with canonical NEAT (Stanley & Miikkulainen 2002)')
    .requiredOption('--task <task>', `one of ${TASK_NAMES.join(', ')}`)
    .option('--config <file>', 'JSON config (partial; deep-merged onto the preset)')
    .option('--preset <name>', 'parameter preset', 'paper')
    .option('--seed <n>', 'random seed', '1')
    .option('--generations <n>', 'generation limit (overrides the config)')
    .option('--workers <n>', 'evaluation threads (1 = this thread)', '1')
    .option('--runs <n>', 'independent runs with seeds seed..seed+N-1; prints the distribution', '1')
    .option('--out <dir>', 'output directory (default runs/neat/<task>-<seed>)')
    .option('--resume', 'continue from the output directory\'s checkpoint')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const task = String(o.task);
      if (!(TASK_NAMES as readonly string[]).includes(task)) throw new UserError(`--task: expected one of ${TASK_NAMES.join(', ')}, got '${task}'`);
      if (o.preset !== 'paper') throw new UserError(`--preset: only 'paper' exists, got '${String(o.preset)}'`);
      const seed = intFlag('seed', o.seed as string, 0)!;
      const workers = intFlag('workers', o.workers as string, 1)!;
      const nRuns = intFlag('runs', o.runs as string, 1)!;
      const gens = intFlag('generations', o.generations as string | undefined, 1);
      const user = o.config ? loadConfigFile(String(o.config)) : undefined;
      let cfg: NeatConfig = resolveConfig(task, user, o.config ? `config ${String(o.config)}` : 'config');
      if (gens !== undefined) cfg = { ...cfg, maxGenerations: gens };
      const json = Boolean(o.json);
      const tty = process.stderr.isTTY;

      if (nRuns === 1) {
        const outDir = o.out ? String(o.out) : join('runs', 'neat', `${task}-${seed}`);
        const spec = await taskSpec(task, seed);
        const bar = new cliProgress.SingleBar({
          stream: process.stderr, hideCursor: tty, noTTYOutput: false, notTTYSchedule: 5000,
          format: `${task} seed ${seed} |{bar}| gen {value}/{total} best {best} mean {mean} species {species} hidden {hidden} conns {conns} evals {evals}`,
        }, cliProgress.Presets.shades_classic);
        bar.start(cfg.maxGenerations, 0, { best: '-', mean: '-', species: '-', hidden: '-', conns: '-', evals: 0 });
        const onGeneration = (s: GenerationStats) => bar.update(s.generation + 1, {
          best: s.bestFitness.toPrecision(5), mean: s.meanFitness.toPrecision(4), species: s.speciesCount, hidden: s.bestHidden, conns: s.bestEnabled, evals: s.evaluations,
        });
        let r: RunResult;
        try {
          r = await runNeat({ task: spec, config: cfg, seed, workers, outDir, resume: Boolean(o.resume), onGeneration });
        } finally { bar.stop(); }
        const summary = { ...resultSummary(r), outDir };
        if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else {
          process.stdout.write(`${r.solved ? 'solved' : 'not solved'} after ${r.generations} generations, ${r.evaluations} evaluations; best genome: ${r.hidden} hidden nodes, ${r.enabled} enabled connections, fitness ${r.best.fitness}\n`);
          if (r.championCheck) process.stdout.write(`champion check: ${JSON.stringify(r.championCheck.info)}\n`);
          if (Object.keys(r.report).length) process.stdout.write(`report: ${JSON.stringify(r.report)}\n`);
          process.stdout.write(`outputs in ${outDir} (best-genome.json, generations.csv/json, network.svg, progress.svg, result.json)\n`);
        }
        return;
      }

      // Many runs: one evaluator (pool) for all; per-run results kept in <out>/summary.json.
      const outDir = o.out ? String(o.out) : join('runs', 'neat', `${task}-runs-${seed}-${seed + nRuns - 1}`);
      const spec = await taskSpec(task, seed);
      const evaluator = makeEvaluator(workers, spec, cfg);
      const runs: RunResult[] = [];
      const bar = new cliProgress.SingleBar({
        stream: process.stderr, hideCursor: tty, noTTYOutput: false, notTTYSchedule: 10000,
        format: `${task} runs |{bar}| {value}/{total} failures {fail} mean evals {evals}`,
      }, cliProgress.Presets.shades_classic);
      bar.start(nRuns, 0, { fail: 0, evals: '-' });
      try {
        for (let i = 0; i < nRuns; i++) {
          const r = await runNeat({ task: spec, config: cfg, seed: seed + i, evaluator, outDir: null });
          runs.push(r);
          const ok = runs.filter((x) => x.solved);
          bar.update(i + 1, { fail: runs.length - ok.length, evals: ok.length ? Math.round(ok.reduce((a, b) => a + b.evaluations, 0) / ok.length) : '-' });
          writeJsonAtomic(join(outDir, 'summary.json'), { task, seeds: [seed, seed + nRuns - 1], config: cfg, summary: summarizeRuns(runs), runs: runs.map(resultSummary) });
        }
      } finally { bar.stop(); await evaluator.close(); }
      const summary = summarizeRuns(runs);
      if (json) process.stdout.write(JSON.stringify({ task, seeds: [seed, seed + nRuns - 1], summary, runs: runs.map(resultSummary), outDir }, null, 2) + '\n');
      else {
        const s = summary as { failures: number; evaluations: Distribution; generations: Distribution; hiddenNodes: Distribution; enabledConnections: Distribution; generalization?: Distribution };
        process.stdout.write(`${task}: ${nRuns} runs (seeds ${seed}..${seed + nRuns - 1}), failures ${s.failures}\n`);
        process.stdout.write(`evaluations:          ${fmt(s.evaluations)}\n`);
        process.stdout.write(`generations:          ${fmt(s.generations, 1)}\n`);
        process.stdout.write(`hidden nodes:         ${fmt(s.hiddenNodes, 2)}\n`);
        process.stdout.write(`enabled connections:  ${fmt(s.enabledConnections, 2)}\n`);
        if (s.generalization) process.stdout.write(`generalization (/625): ${fmt(s.generalization, 1)}\n`);
        process.stdout.write(`per-run results in ${join(outDir, 'summary.json')}\n`);
      }
    });
}
