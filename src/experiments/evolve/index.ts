// The NEAT experiment (`winnow evolve`): independent runs of canonical NEAT (Stanley & Miikkulainen 2002),
// one job per seed, stored as run kind 'neat'. A run's id is the task and the resolved config where it
// differs from the baseline (idBaseline), so seeds of one config collect in one run whichever command ran
// them; each seed's genomes, histories and drawings live in its output directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../data/registry.js';
import { deepMerge, loadConfigFile, resolveConfig, type NeatConfig } from '../../neat/config.js';
import { readCheckpoint } from '../../neat/checkpoint.js';
import { makeEvaluator, type Evaluator } from '../../neat/evaluate-parallel.js';
import { checkpointPath, resultSummary, runNeat, type RunSummary } from '../../neat/run.js';
import { parseRunSummary } from '../../neat/runs-summary.js';
import { runsChartSvg } from '../../neat/svg.js';
import { classifyOptions } from '../../neat/tasks/classify.js';
import { PAPER_MEAN_EVALUATIONS, TASK_NAMES } from '../../neat/tasks/index.js';
import type { TaskSpec } from '../../neat/tasks/task.js';
import { formatTable } from '../../report/table.js';
import { acquireLock } from '../../store/lock.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { choiceFlag, intFlag } from '../../util/flags.js';
import type { Experiment, JobSpec } from '../experiment.js';
import { distribution, summarizeRuns, type RunsSummary } from './summary.js';

export const DEFAULT_CLASSIFY_DATASET = 'fashion-mnist-mini@7x7';

export interface EvolveHparams {
  task: (typeof TASK_NAMES)[number];
  /** the user's partial config (from --config FILE), deep-merged onto the paper preset */
  config: Record<string, unknown>;
  generations: number;
  seed: number;
  runs: number;
  workers: number;
  dataset: string;
  sample: number;
  out: string;
}

export interface EvolveSpec extends JobSpec { seed: number; outDir: string }
export interface EvolveResult extends RunSummary { outDir: string }
interface EvolveContext { cfg: NeatConfig; spec: TaskSpec; evaluator: Evaluator | null; release: () => void; h: EvolveHparams }
export interface EvolveSummary { task: string; seeds: [number, number]; outDir: string; summary: RunsSummary; runs: EvolveResult[] }

/** The full config of a run: preset, the user's file, then --generations. */
export function neatConfig(h: EvolveHparams): NeatConfig {
  const cfg = resolveConfig(h.task, h.config, 'config');
  return h.generations > 0 ? { ...cfg, maxGenerations: h.generations } : cfg;
}

/**
 * The config run ids are measured against: the preset as it was when NEAT runs were first stored. A run id
 * names what differs from this baseline, so when a default changes, runs under the new default get new ids
 * instead of overwriting the records of runs made under the old one. When a default changes, add its old
 * value here; a new field whose default keeps the old behaviour needs nothing.
 */
export function idBaseline(task: string): NeatConfig {
  const firstDefaults: Record<string, unknown> = { weightClamp: null, championCheck: 'best-solver', elitismBy: 'members' };
  return deepMerge(resolveConfig(task), firstDefaults);
}

/** Where a multi-run set (or a single run) writes: --out, or <store>/neat/<task>-<seed>[-runs…] (launch fills it, inStore). */
function baseOut(h: EvolveHparams, root = 'runs'): string {
  if (h.out) return h.out;
  return h.runs === 1 ? join(root, 'neat', `${h.task}-${h.seed}`) : join(root, 'neat', `${h.task}-runs-${h.seed}-${h.seed + h.runs - 1}`);
}

function taskSpec(h: EvolveHparams, seed: number): TaskSpec {
  if (h.task !== 'classify') return { name: h.task };
  const d = loadDataset(h.dataset, { seed });
  return { name: 'classify', options: classifyOptions(d, Math.min(h.sample, d.train.count), seed) };
}

function checkSummary(v: unknown, where: string): EvolveResult {
  const r = parseRunSummary(v, where);
  const outDir = (v as { outDir?: unknown }).outDir;
  if (typeof outDir !== 'string') throw new UserError(`${where}: field 'outDir': expected a string, got ${JSON.stringify(outDir)}`);
  return { ...r, outDir };
}

export const evolveExperiment: Experiment<EvolveHparams, EvolveSpec, EvolveResult, EvolveContext, EvolveSummary> = {
  name: 'neat',
  description: 'evolve networks with canonical NEAT (Stanley & Miikkulainen 2002): XOR, pole balancing, image classification',
  params: {
    task: { flag: '--task <task>', help: TASK_NAMES.join(' | '), parse: choiceFlag('--task', TASK_NAMES), default: 'xor' },
    config: { flag: '--config <file>', help: 'JSON config (partial; deep-merged onto the paper preset)', parse: (p) => {
      const c = loadConfigFile(p);
      if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new UserError(`config file ${p}: expected a JSON object`);
      return c as Record<string, unknown>;
    }, default: {} },
    generations: { flag: '--generations <n>', help: 'generation limit (0: the config\'s maxGenerations)', parse: intFlag('--generations', 0), default: 0 },
    seed: { flag: '--seed <n>', help: 'random seed of the first run', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: 1 },
    runs: { flag: '--runs <n>', help: 'independent runs with seeds seed..seed+N-1; prints the distribution', parse: intFlag('--runs', 1, 100000), default: 1 },
    workers: { flag: '--workers <n>', help: 'evaluation threads (1 = this thread)', parse: intFlag('--workers', 1, 10000), default: 1 },
    dataset: { flag: '--dataset <spec>', help: 'classify: dataset spec, "@HxW" block-averages the images', parse: String, default: DEFAULT_CLASSIFY_DATASET },
    sample: { flag: '--sample <n>', help: 'classify: training images in the fitness sample', parse: intFlag('--sample', 1), default: 1000 },
    out: { flag: '--out <dir>', help: 'output directory (default <store>/neat/<task>-<seed>, or <task>-runs-<a>-<b> with --runs)', parse: String, default: '' },
  },
  presets: { flag: '--preset <name>', help: 'parameter preset', values: { paper: { summary: 'Stanley & Miikkulainen (2002), the C++ release where the paper is silent', values: {} } } },
  outsideIdentity: ['seed', 'runs', 'workers', 'out'],
  identity: (h) => ({ task: h.task, config: neatConfig(h), ...(h.task === 'classify' ? { dataset: h.dataset, sample: h.sample } : {}) }),
  idBaseline: (h) => ({ config: idBaseline(h.task), dataset: DEFAULT_CLASSIFY_DATASET, sample: 1000 }),
  resolve(h) {
    neatConfig(h); // validates the config (field errors name the field)
    return h;
  },
  inStore: (h, root) => ({ ...h, out: baseOut(h, root) }),
  describe: (h) => `NEAT on ${h.task}: ${h.runs} run(s), seeds ${h.seed}..${h.seed + h.runs - 1}, outputs in ${baseOut(h)}`,
  plan: (h) => Array.from({ length: h.runs }, (_, i) => {
    const seed = h.seed + i;
    return { key: `seed_${seed}`, label: `${h.task} seed ${seed}`, seed, outDir: h.runs === 1 ? baseOut(h) : join(baseOut(h), `seed-${seed}`) };
  }),
  open(h) {
    const cfg = neatConfig(h);
    const release = acquireLock(join(baseOut(h), '.lock'), `output folder ${baseOut(h)}`);
    // One task (for classify: the first seed's fitness sample) and one evaluator pool for all runs.
    try {
      const spec = taskSpec(h, h.seed);
      return { cfg, spec, evaluator: h.runs > 1 ? makeEvaluator(h.workers, spec, cfg) : null, release, h };
    } catch (e) { release(); throw e; }
  },
  async close(ctx) {
    try { await ctx.evaluator?.close(); } finally { ctx.release(); }
  },
  async runJob(ctx, s, env) {
    // A checkpoint left by an interrupted run of this job resumes; one of another config is not this job's.
    const ckpt = checkpointPath(s.outDir);
    let resume = false;
    if (existsSync(ckpt)) {
      const body = readCheckpoint(ckpt);
      resume = body.seed === s.seed && JSON.stringify({ ...body.config, maxGenerations: 0 }) === JSON.stringify({ ...ctx.cfg, maxGenerations: 0 });
      if (!resume) env.emit({ type: 'warning', message: `${ckpt} is from another config or seed; starting seed ${s.seed} afresh` });
    }
    const r = await runNeat({
      task: ctx.spec, config: ctx.cfg, seed: s.seed, workers: ctx.h.workers, ...(ctx.evaluator ? { evaluator: ctx.evaluator } : {}),
      outDir: s.outDir, resume,
      onGeneration: (g) => env.step(g.generation + 1, ctx.cfg.maxGenerations, { best: g.bestFitness.toPrecision(5), species: g.speciesCount, hidden: g.bestHidden, conns: g.bestEnabled, evals: g.evaluations }),
    });
    return { result: { ...resultSummary(r), outDir: s.outDir } };
  },
  checkResult: checkSummary,
  artifacts: () => [],
  afterJob(h, done) {
    if (h.runs === 1) return;
    // <out>/summary.json after every finished run, as before the store kept NEAT runs.
    const runs = done.map((d) => d.result);
    writeJsonAtomic(join(baseOut(h), 'summary.json'), { task: h.task, seeds: [h.seed, h.seed + h.runs - 1], config: neatConfig(h), summary: summarizeRuns(runs), runs });
  },
  show: (_h, done) => formatTable(['seed', 'solved', 'generations', 'evaluations', 'hidden', 'enabled', 'fitness'],
    done.map(({ result: r }) => [String(r.seed), String(r.solved), String(r.generations), String(r.evaluations), String(r.hidden), String(r.enabled), Number(r.fitness).toPrecision(6)])),
  summarize(_ctx, h, done) {
    const runs = done.map((d) => d.result);
    const seeds: [number, number] = [h.seed, h.seed + h.runs - 1];
    if (h.runs > 1) {
      writeFileAtomic(join(baseOut(h), 'evaluations.svg'), runsChartSvg(runs, `NEAT ${h.task}: runs solved vs evaluations (seeds ${seeds[0]}–${seeds[1]})`, PAPER_MEAN_EVALUATIONS[h.task]));
    }
    return { task: h.task, seeds, outDir: baseOut(h), summary: summarizeRuns(runs), runs };
  },
};

export { distribution, summarizeRuns };
