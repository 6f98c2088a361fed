// NEAT vs lottery tickets on the same (downsampled) images: test accuracy against the number of
// connections. Jobs: one NEAT run per seed (the best genome of every generation, scored on the test split,
// at its enabled connections — bias links included, NEAT has no other bias), then the MLP: a lottery run
// of its own in the same store (layer-wise IMP with the random-prune control; kept weights, biases not
// counted). Outputs: compare-tickets.json (every point), a table and a chart (report/*.md, .html, .svg).
import { join } from 'node:path';
import { features, type Dataset } from '../../data/dataset.js';
import { loadDataset } from '../../data/registry.js';
import { resolveConfig } from '../../neat/config.js';
import { enabledCount } from '../../neat/genome.js';
import { runNeat } from '../../neat/run.js';
import { accuracy, classifyOptions, type ClassifySample } from '../../neat/tasks/classify.js';
import type { LotteryHparams } from '../../lottery/hparams.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { intFlag } from '../../util/flags.js';
import type { Experiment, JobSpec } from '../experiment.js';
import { launch } from '../launch.js';
import { defaultsOf, resolveHparams } from '../params.js';
import { lotteryExperiment } from '../lottery/index.js';
import { compareTable, writeCompareReport, type ComparePoint, type CompareResult } from './report.js';

export interface NeatVsTicketsHparams {
  dataset: string; seed: number; runs: number; generations: number; sample: number; workers: number;
  hidden: number; levels: number; iterations: number; out: string;
}
type Spec = JobSpec & ({ part: 'neat'; seed: number } | { part: 'mlp' });
type JobResult = { points: ComparePoint[]; lotteryRunId?: string; lotteryHparams?: LotteryHparams };
interface Ctx { d: Dataset; h: NeatVsTicketsHparams }
export interface NeatVsTicketsSummary extends CompareResult { outDir: string; table: ReturnType<typeof compareTable> }

const outDir = (h: NeatVsTicketsHparams): string => h.out || join('runs', 'neat', `compare-tickets-${h.seed}`);

/** The MLP's lottery hyperparameters: one hidden layer on the same data, the random-prune control only. */
function mlpHparams(h: NeatVsTicketsHparams, d: Dataset): LotteryHparams {
  const base = defaultsOf(lotteryExperiment.params);
  return resolveHparams(lotteryExperiment, {
    model: `mlp:${features(d)}-${h.hidden}-${d.classes}`, dataset: h.dataset, levels: h.levels, iterations: h.iterations,
    evalEvery: Math.min(base.evalEvery, h.iterations), controls: ['random-prune'], seed: h.seed, replicates: 1,
  });
}

function checkPoints(v: unknown, where: string): JobResult {
  const o = v as { points?: unknown } | null;
  const ok = (p: unknown): boolean => {
    const q = p as ComparePoint;
    return typeof q === 'object' && q !== null && ['neat', 'ticket', 'random-prune'].includes(q.method) && typeof q.connections === 'number' && typeof q.testAccuracy === 'number' && typeof q.label === 'string';
  };
  if (o === null || typeof o !== 'object' || !Array.isArray(o.points) || !o.points.every(ok)) throw new UserError(`${where}: field 'points' must be a list of {method, connections, testAccuracy, label}`);
  return o as JobResult;
}

export const neatVsTicketsExperiment: Experiment<NeatVsTicketsHparams, Spec, JobResult, Ctx, NeatVsTicketsSummary> = {
  name: 'neat_vs_tickets',
  description: 'NEAT vs lottery tickets vs random pruning on the same downsampled images: table + chart of test accuracy against connections',
  params: {
    dataset: { flag: '--dataset <spec>', help: 'dataset spec, "@HxW" block-averages the images', parse: String, default: 'fashion-mnist-mini@7x7' },
    seed: { flag: '--seed <n>', help: 'seed of the first NEAT run and of the MLP', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: 1 },
    runs: { flag: '--runs <n>', help: 'NEAT runs (seeds seed..)', parse: intFlag('--runs', 1, 1000), default: 1 },
    generations: { flag: '--generations <n>', help: 'NEAT generations per run', parse: intFlag('--generations', 1), default: 100 },
    sample: { flag: '--sample <n>', help: 'training images in the NEAT fitness sample', parse: intFlag('--sample', 1), default: 1000 },
    workers: { flag: '--workers <n>', help: 'NEAT evaluation threads', parse: intFlag('--workers', 1, 10000), default: 1 },
    hidden: { flag: '--mlp-hidden <n>', help: 'hidden units of the MLP', parse: intFlag('--mlp-hidden', 1), default: 32 },
    levels: { flag: '--levels <n>', help: 'pruning levels of the MLP', parse: intFlag('--levels', 1, 200), default: 12 },
    iterations: { flag: '--iterations <n>', help: 'training steps per level of the MLP', parse: intFlag('--iterations', 1), default: 1000 },
    out: { flag: '--out <dir>', help: 'output directory (default runs/neat/compare-tickets-<seed>)', parse: String, default: '' },
  },
  outsideIdentity: ['workers', 'out', 'runs'],
  describe: (h) => `${h.runs} NEAT run(s) × ${h.generations} generations and an MLP with ${h.hidden} hidden units over ${h.levels} levels on ${h.dataset}; outputs in ${outDir(h)}`,
  plan: (h) => [
    ...Array.from({ length: h.runs }, (_, i) => ({ key: `neat/seed_${h.seed + i}`, label: `NEAT seed ${h.seed + i}`, part: 'neat' as const, seed: h.seed + i })),
    { key: 'mlp', label: 'MLP lottery run', part: 'mlp' as const },
  ],
  open: (h) => ({ d: loadDataset(h.dataset, { seed: h.seed }), h }),
  async runJob({ d, h }, spec, env) {
    if (spec.part === 'mlp') {
      const lh = mlpHparams(h, d);
      const l = await launch(lotteryExperiment, lh, { root: env.root, emit: env.emit, backend: env.backend, noReport: true, checkpointSeconds: env.checkpointSeconds });
      const total = features(d) * h.hidden + h.hidden * d.classes;
      const points: ComparePoint[] = l.summary.results.filter((j) => j.branch === 'ticket' || j.branch === 'random-prune')
        // final test accuracy (NEAT's points are final genomes too, not early-stopped ones)
        .map((j) => ({ method: j.branch as 'ticket' | 'random-prune', connections: Math.round(j.density * total), testAccuracy: j.finalTestAccuracy, label: `level ${j.level}` }));
      return { result: { points, lotteryRunId: l.runId, lotteryHparams: lh } };
    }
    const cfg = resolveConfig('classify', { maxGenerations: h.generations });
    const test = classifyOptions(d, 1, h.seed).test as ClassifySample;
    const points: ComparePoint[] = [];
    let lastId = -1, lastAcc = 0;
    await runNeat({
      task: { name: 'classify', options: classifyOptions(d, Math.min(h.sample, d.train.count), spec.seed) }, config: cfg, seed: spec.seed, workers: h.workers,
      outDir: join(outDir(h), `neat-seed-${spec.seed}`), resume: true,
      onGeneration: (s, best) => {
        // the same genome again (an elite) has the same test accuracy: skip the evaluation
        if (best.id !== lastId) { lastAcc = accuracy(best, test, d.classes); lastId = best.id; }
        points.push({ method: 'neat', connections: enabledCount(best), testAccuracy: lastAcc, label: `seed ${spec.seed} gen ${s.generation}` });
        env.step(s.generation + 1, h.generations, { 'train acc': s.bestFitness.toFixed(3), 'test acc': lastAcc.toFixed(3), conns: enabledCount(best) });
      },
    });
    return { result: { points } };
  },
  checkResult: checkPoints,
  summarize({ d, h }, _h, done) {
    const mlp = done.find((j) => j.spec.part === 'mlp')!.result;
    const points = [...done.filter((j) => j.spec.part === 'neat').flatMap((j) => j.result.points), ...mlp.points];
    const result: CompareResult = { points, lotteryRunId: mlp.lotteryRunId!, neatConfig: resolveConfig('classify', { maxGenerations: h.generations }), lotteryHparams: mlp.lotteryHparams! };
    writeJsonAtomic(join(outDir(h), 'compare-tickets.json'), { dataset: d.name, source: d.source, ...result });
    return { ...result, outDir: outDir(h), table: compareTable(points) };
  },
  report(h, s) {
    const d = loadDataset(h.dataset, { seed: h.seed });
    return writeCompareReport({ data: d, seed: h.seed, neatRuns: h.runs, generations: h.generations, sampleCount: h.sample, hidden: h.hidden, levels: h.levels, iterations: h.iterations, outDir: s.outDir }, s);
  },
};
