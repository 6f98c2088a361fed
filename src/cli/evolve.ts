// `winnow evolve`: canonical NEAT on XOR, pole balancing (single, double with/without velocities) or
// image classification. Progress on stderr; --json prints one JSON document on stdout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { UserError } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { readUserJson } from '../util/read.js';
import { loadConfigFile, resolveConfig, type NeatConfig } from '../neat/config.js';
import { makeEvaluator } from '../neat/evaluate-parallel.js';
import { resultSummary, runNeat, type GenerationStats, type RunResult, type RunSummary } from '../neat/run.js';
import { createTask, PAPER_MEAN_EVALUATIONS, TASK_NAMES } from '../neat/tasks/index.js';
import { runsChartSvg } from '../neat/svg.js';
import type { TaskSpec } from '../neat/tasks/task.js';
import { classifyOptions } from '../neat/tasks/classify.js';
import { compareTickets, compareTable } from '../neat/compare-tickets.js';
import { loadGenomeFile } from '../neat/genome-file.js';
import { enabledCount, hiddenCount } from '../neat/genome.js';
import { recordNeatRuns } from '../neat/record.js';
import { loadDataset } from '../data/registry.js';
import type { Dataset } from '../data/dataset.js';
import { formatTable } from '../report/table.js';
import { backendFrom } from './backend-option.js';

function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UserError(`--${name}: expected an integer, got '${v}'`);
  const n = Number(v);
  if (n < min) throw new UserError(`--${name}: must be at least ${min}, got ${n}`);
  return n;
}

export const DEFAULT_CLASSIFY_DATASET = 'fashion-mnist-mini@7x7';

async function taskSpec(task: string, seed: number, o: Record<string, string | boolean | undefined>): Promise<TaskSpec> {
  if (task !== 'classify') return { name: task };
  const { d, sample } = classifyData(seed, o);
  return { name: 'classify', options: classifyOptions(d, sample, seed) };
}

function classifyData(seed: number, o: Record<string, string | boolean | undefined>): { d: Dataset; spec: string; sample: number } {
  const spec = String(o.dataset ?? DEFAULT_CLASSIFY_DATASET);
  const d = loadDataset(spec, { seed });
  const sample = intFlag('sample', o.sample as string | undefined, 1) ?? 1000;
  return { d, spec, sample: Math.min(sample, d.train.count) };
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

export function summarizeRuns(runs: RunSummary[]): Record<string, unknown> {
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

/** Runs already finished according to a summary.json of an earlier, interrupted `evolve --runs` call. */
function finishedRuns(path: string, task: string, seeds: [number, number], cfg: NeatConfig): RunSummary[] {
  const prev = readUserJson(path, `summary ${path}`) as { task?: unknown; seeds?: unknown; config?: unknown; runs?: unknown };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (prev.task !== task || !same(prev.seeds, seeds)) {
    throw new UserError(`--resume: ${path} is for task ${JSON.stringify(prev.task)}, seeds ${JSON.stringify(prev.seeds)}, not ${task} seeds ${JSON.stringify(seeds)}; use another --out`);
  }
  if (!same({ ...(prev.config as object), maxGenerations: 0 }, { ...cfg, maxGenerations: 0 })) {
    throw new UserError(`--resume: ${path} was written with a different config; use another --out`);
  }
  if (!Array.isArray(prev.runs) || prev.runs.some((r, i) => (r as { seed?: unknown }).seed !== seeds[0] + i)) {
    throw new UserError(`--resume: ${path}: field 'runs' is not a list of finished runs from seed ${seeds[0]} on`);
  }
  return prev.runs as RunSummary[];
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
    .option('--resume', 'continue an interrupted run (with --runs: the unfinished runs) from the output directory')
    .option('--json', 'print the result as JSON on stdout')
    .option('--evaluate <genome.json>', 'evaluate a saved genome (a run\'s best-genome.json) on the task instead of evolving: fitness, success, champion check, report')
    .option('--dataset <spec>', `classify: dataset spec, "@HxW" block-averages the images (default ${DEFAULT_CLASSIFY_DATASET})`)
    .option('--sample <n>', 'classify: training images in the fitness sample (default 1000)')
    .option('--compare-tickets', 'classify: also train lottery tickets and random-pruned MLPs on the same data; table + chart of test accuracy vs connections')
    .option('--mlp-hidden <n>', 'compare-tickets: hidden units of the MLP (default 32)')
    .option('--levels <n>', 'compare-tickets: pruning levels (default 12)')
    .option('--iterations <n>', 'compare-tickets: training steps per level (default 1000)')
    .option('--store <dir>', 'experiment store where finished runs are indexed (and, with --compare-tickets, the lottery run lives)', 'runs')
    .option('--backend <name>', 'compare-tickets: kernel backend of the MLP (native | reference)', 'native')
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

      if (o.evaluate !== undefined) {
        const path = String(o.evaluate);
        const g = loadGenomeFile(path);
        const spec = await taskSpec(task, seed, o);
        const t = createTask(spec, cfg);
        if (g.nIn !== t.nIn || g.nOut !== t.nOut) {
          throw new UserError(`genome file ${path}: it has ${g.nIn} inputs and ${g.nOut} outputs, task ${task} needs ${t.nIn} and ${t.nOut}`);
        }
        const r = t.evaluate(g, { seed, generation: 0, index: 0 });
        const check = t.checkChampion ? t.checkChampion(g) : null;
        const out = {
          genome: path, task, fitness: r.fitness, solved: check ? check.solved : r.solved, championCheck: check, report: t.report ? t.report(g) : {},
          hidden: hiddenCount(g), enabled: enabledCount(g),
        };
        if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        else {
          process.stdout.write(`${task}: fitness ${r.fitness}, ${out.solved ? 'solves' : 'does not solve'} the task; ${out.hidden} hidden nodes, ${out.enabled} enabled connections\n`);
          if (check) process.stdout.write(`champion check: ${JSON.stringify(check.info)}\n`);
          if (Object.keys(out.report).length) process.stdout.write(`report: ${JSON.stringify(out.report)}\n`);
        }
        return;
      }

      if (o.compareTickets) {
        if (task !== 'classify') throw new UserError('--compare-tickets needs --task classify');
        const backend = String(o.backend);
        if (backend !== 'native' && backend !== 'reference') throw new UserError(`--backend: expected native or reference, got '${backend}'`);
        const { d, spec, sample } = classifyData(seed, o);
        const outDir = o.out ? String(o.out) : join('runs', 'neat', `compare-tickets-${seed}`);
        const log = (m: string) => process.stderr.write(m + '\n');
        const r = await compareTickets({
          data: d, datasetSpec: spec, seed, neatRuns: nRuns, generations: gens ?? 100, sampleCount: sample, workers,
          hidden: intFlag('mlp-hidden', o.mlpHidden as string | undefined, 1) ?? 32,
          levels: intFlag('levels', o.levels as string | undefined, 1) ?? 12,
          iterations: intFlag('iterations', o.iterations as string | undefined, 1) ?? 1000,
          be: backendFrom(backend), store: String(o.store), outDir, log,
        });
        const t = compareTable(r.points);
        if (json) process.stdout.write(JSON.stringify({ outDir, lotteryRunId: r.lotteryRunId, table: { columns: t.columns, rows: t.rows }, points: r.points }, null, 2) + '\n');
        else {
          process.stdout.write(formatTable(t.columns, t.rows as never) + '\n');
          process.stdout.write(`points in ${join(outDir, 'compare-tickets.json')}; report in ${join(outDir, 'report')}/compare-tickets.{md,html,svg}\n`);
        }
        return;
      }

      if (nRuns === 1) {
        const outDir = o.out ? String(o.out) : join('runs', 'neat', `${task}-${seed}`);
        const spec = await taskSpec(task, seed, o);
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
        const runId = recordNeatRuns(String(o.store), task, cfg, [resultSummary(r)], outDir);
        const summary = { ...resultSummary(r), outDir, runId };
        if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else {
          process.stdout.write(`${r.solved ? 'solved' : 'not solved'} after ${r.generations} generations, ${r.evaluations} evaluations; best genome: ${r.hidden} hidden nodes, ${r.enabled} enabled connections, fitness ${r.best.fitness}\n`);
          if (r.championCheck) process.stdout.write(`champion check: ${JSON.stringify(r.championCheck.info)}\n`);
          if (Object.keys(r.report).length) process.stdout.write(`report: ${JSON.stringify(r.report)}\n`);
          process.stdout.write(`outputs in ${outDir} (best-genome.json, generations.csv/json, network.svg, progress.svg, result.json); indexed as ${runId} in ${String(o.store)}/\n`);
        }
        return;
      }

      // Many runs: one evaluator (pool) for all. Each run checkpoints in <out>/seed-<s>/; <out>/summary.json is
      // rewritten after every finished run, so --resume skips finished runs and continues the interrupted one.
      const outDir = o.out ? String(o.out) : join('runs', 'neat', `${task}-runs-${seed}-${seed + nRuns - 1}`);
      const summaryPath = join(outDir, 'summary.json');
      const seeds: [number, number] = [seed, seed + nRuns - 1];
      const runs: RunSummary[] = o.resume && existsSync(summaryPath) ? finishedRuns(summaryPath, task, seeds, cfg) : [];
      const spec = await taskSpec(task, seed, o);
      const evaluator = makeEvaluator(workers, spec, cfg);
      const bar = new cliProgress.SingleBar({
        stream: process.stderr, hideCursor: tty, noTTYOutput: false, notTTYSchedule: 10000,
        format: `${task} runs |{bar}| {value}/{total} failures {fail} mean evals {evals}`,
      }, cliProgress.Presets.shades_classic);
      const progress = () => {
        const ok = runs.filter((x) => x.solved);
        return { fail: runs.length - ok.length, evals: ok.length ? Math.round(ok.reduce((a, b) => a + b.evaluations, 0) / ok.length) : '-' };
      };
      bar.start(nRuns, runs.length, progress());
      try {
        for (let i = runs.length; i < nRuns; i++) {
          const r = await runNeat({ task: spec, config: cfg, seed: seed + i, evaluator, outDir: join(outDir, `seed-${seed + i}`), resume: Boolean(o.resume) });
          runs.push(resultSummary(r));
          bar.update(i + 1, progress());
          writeJsonAtomic(summaryPath, { task, seeds, config: cfg, summary: summarizeRuns(runs), runs });
        }
      } finally { bar.stop(); await evaluator.close(); }
      const summary = summarizeRuns(runs);
      writeFileAtomic(join(outDir, 'evaluations.svg'), runsChartSvg(runs, `NEAT ${task}: runs solved vs evaluations (seeds ${seeds[0]}–${seeds[1]})`, PAPER_MEAN_EVALUATIONS[task]));
      const runId = recordNeatRuns(String(o.store), task, cfg, runs, outDir);
      if (json) process.stdout.write(JSON.stringify({ task, seeds, summary, runs, outDir, runId }, null, 2) + '\n');
      else {
        const s = summary as { failures: number; evaluations: Distribution; generations: Distribution; hiddenNodes: Distribution; enabledConnections: Distribution; generalization?: Distribution };
        process.stdout.write(`${task}: ${nRuns} runs (seeds ${seed}..${seed + nRuns - 1}), failures ${s.failures}\n`);
        process.stdout.write(`evaluations:          ${fmt(s.evaluations)}\n`);
        process.stdout.write(`generations:          ${fmt(s.generations, 1)}\n`);
        process.stdout.write(`hidden nodes:         ${fmt(s.hiddenNodes, 2)}\n`);
        process.stdout.write(`enabled connections:  ${fmt(s.enabledConnections, 2)}\n`);
        if (s.generalization) process.stdout.write(`generalization (/625): ${fmt(s.generalization, 1)}\n`);
        process.stdout.write(`per-run results in ${join(outDir, 'summary.json')}, chart ${join(outDir, 'evaluations.svg')}; indexed as ${runId} in ${String(o.store)}/\n`);
      }
    });
}
