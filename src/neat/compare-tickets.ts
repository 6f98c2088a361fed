// NEAT vs lottery tickets on the same (downsampled) images: test accuracy against the number of
// connections. Three sources of points:
//   NEAT          the best genome (by training-sample fitness) of every generation of every run, at its
//                 enabled connections (bias-input links included: NEAT has no other bias);
//   ticket        each IMP level of a small MLP (src/lottery/runner.ts, layer-wise magnitude pruning with
//                 rewinding), at its kept weights (MLP biases, never pruned, are not counted);
//   random-prune  the lottery run's control branch: a random mask of the same per-layer sparsity.
// The MLP is trained through the experiment store (src/store/), so rerunning resumes and reuses its jobs.
// Outputs: compare-tickets.json (every point), a table and a chart (report/*.md, .html, .svg).
import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { features, type Dataset } from '../data/dataset.js';
import { LOTTERY_DEFAULTS, validateHparams, type LotteryHparams } from '../lottery/hparams.js';
import { runLottery, type JobResult } from '../lottery/runner.js';
import { figure, heading, paragraph, table, writeReport, type CellValue } from '../report/document.js';
import { scatterChart } from '../report/svg-chart.js';
import { openStore } from '../store/db.js';
import { describeRun } from '../store/hash.js';
import { writeHparamsFile } from '../store/layout.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { resolveConfig } from './config.js';
import { enabledCount } from './genome.js';
import { runNeat } from './run.js';
import { accuracy, classifyOptions, type ClassifySample } from './tasks/classify.js';

export interface CompareOptions {
  data: Dataset;
  /** The dataset spec the lottery run records (must load `data`, e.g. "fashion-mnist-mini@7x7"). */
  datasetSpec: string;
  seed: number;
  /** NEAT: independent runs (seeds seed..), generations each, training rows in the fitness sample. */
  neatRuns: number;
  generations: number;
  sampleCount: number;
  workers: number;
  /** MLP: one hidden layer of this width; pruning levels; training steps per level. */
  hidden: number;
  levels: number;
  iterations: number;
  be: Backend;
  /** Experiment store root for the lottery run; output directory for the comparison. */
  store: string;
  outDir: string;
  log?: (s: string) => void;
}

export interface ComparePoint {
  method: 'neat' | 'ticket' | 'random-prune';
  connections: number;
  testAccuracy: number;
  /** NEAT: "seed S gen G"; MLP: "level L". */
  label: string;
}

export interface CompareResult {
  points: ComparePoint[];
  lotteryRunId: string;
  neatConfig: unknown;
  lotteryHparams: LotteryHparams;
}

/** Points not dominated by another of the same method (fewer or equal connections and higher accuracy). */
export function paretoFront(points: readonly ComparePoint[]): ComparePoint[] {
  const sorted = [...points].sort((a, b) => a.connections - b.connections || b.testAccuracy - a.testAccuracy);
  const front: ComparePoint[] = [];
  let best = -Infinity;
  for (const p of sorted) if (p.testAccuracy > best) { front.push(p); best = p.testAccuracy; }
  return front;
}

export async function compareTickets(o: CompareOptions): Promise<CompareResult> {
  const log = o.log ?? (() => {});
  const d = o.data;
  const nf = features(d);
  const points: ComparePoint[] = [];

  // NEAT: best genome of each generation, scored on the full test split.
  const cfg = resolveConfig('classify', { maxGenerations: o.generations });
  const test: ClassifySample = classifyOptions(d, 1, o.seed).test as ClassifySample;
  for (let r = 0; r < o.neatRuns; r++) {
    const seed = o.seed + r;
    const spec = { name: 'classify', options: classifyOptions(d, o.sampleCount, seed) };
    let lastId = -1, lastAcc = 0;
    const res = await runNeat({
      task: spec, config: cfg, seed, workers: o.workers, outDir: join(o.outDir, `neat-seed-${seed}`),
      onGeneration: (s, best) => {
        // the same genome again (an elite) has the same test accuracy: skip the evaluation
        if (best.id !== lastId) { lastAcc = accuracy(best, test, d.classes); lastId = best.id; }
        points.push({ method: 'neat', connections: enabledCount(best), testAccuracy: lastAcc, label: `seed ${seed} gen ${s.generation}` });
        if (s.generation % 10 === 0) log(`NEAT seed ${seed} gen ${s.generation}: train-sample acc ${s.bestFitness.toFixed(3)}, test ${lastAcc.toFixed(3)}, ${enabledCount(best)} connections`);
      },
    });
    log(`NEAT seed ${seed}: ${res.generations} generations in ${res.wallSeconds.toFixed(1)} s`);
  }

  // Lottery tickets and random pruning of an MLP nf-hidden-classes on the same data.
  const h: LotteryHparams = {
    ...LOTTERY_DEFAULTS, model: `mlp:${nf}-${o.hidden}-${d.classes}`, dataset: o.datasetSpec, levels: o.levels,
    iterations: o.iterations, evalEvery: Math.min(100, o.iterations), controls: ['random-prune'], seed: o.seed, replicates: 1,
  };
  validateHparams(h);
  const { replicates: _r, ...identity } = h;
  const { replicates: _d, ...identityDefaults } = LOTTERY_DEFAULTS;
  const desc = describeRun('lottery', identity, identityDefaults);
  const store = openStore(o.store);
  let jobs: JobResult[];
  try {
    store.upsertRun({ id: desc.id, kind: 'lottery', hparams: { ...h }, canonical: desc.canonical });
    writeHparamsFile(o.store, { id: desc.id, kind: 'lottery', canonical: desc.canonical, hparams: { ...h } });
    log(`lottery run ${desc.id} in ${o.store}/: ${h.model}, ${h.levels} levels × ${h.iterations} steps, backend ${o.be.name}`);
    jobs = runLottery({ be: o.be, data: d, h, runId: desc.id, root: o.store, store }, {
      onJobDone: (j) => log(`  level ${j.level} ${j.branch}: density ${(100 * j.density).toFixed(1)}%, test ${j.finalTestAccuracy.toFixed(3)}`),
    });
    store.setRunStatus(desc.id, 'done');
  } finally {
    store.close();
  }
  const total = nf * o.hidden + o.hidden * d.classes;
  for (const j of jobs) {
    if (j.branch !== 'ticket' && j.branch !== 'random-prune') continue;
    // final test accuracy (NEAT's points are final genomes too, not early-stopped ones)
    points.push({ method: j.branch, connections: Math.round(j.density * total), testAccuracy: j.finalTestAccuracy, label: `level ${j.level}` });
  }
  const result: CompareResult = { points, lotteryRunId: desc.id, neatConfig: cfg, lotteryHparams: h };
  writeJsonAtomic(join(o.outDir, 'compare-tickets.json'), { dataset: d.name, source: d.source, ...result });
  writeCompareReport(o, result);
  return result;
}

const pct = (x: number) => Math.round(1000 * x) / 10;

/** Rows: MLP levels (ticket vs random prune) and NEAT's Pareto front, sorted by connections. */
export function compareTable(points: readonly ComparePoint[]): { columns: string[]; rows: CellValue[][] } {
  const rows: CellValue[][] = [];
  const mlp = points.filter((p) => p.method !== 'neat');
  const levels = [...new Set(mlp.map((p) => p.label))];
  for (const l of levels) {
    const t = mlp.find((p) => p.label === l && p.method === 'ticket');
    const rp = mlp.find((p) => p.label === l && p.method === 'random-prune');
    rows.push([`MLP ${l}`, (t ?? rp)!.connections, t ? pct(t.testAccuracy) : null, rp ? pct(rp.testAccuracy) : null, null]);
  }
  for (const p of paretoFront(points.filter((q) => q.method === 'neat'))) rows.push([`NEAT ${p.label}`, p.connections, null, null, pct(p.testAccuracy)]);
  rows.sort((a, b) => (a[1] as number) - (b[1] as number));
  return { columns: ['network', 'connections', 'ticket test acc %', 'random-prune test acc %', 'NEAT test acc %'], rows };
}

function writeCompareReport(o: CompareOptions, r: CompareResult): void {
  const { columns, rows } = compareTable(r.points);
  const groups: Record<ComparePoint['method'], string> = { neat: 'NEAT best genome per generation', ticket: 'lottery ticket (IMP)', 'random-prune': 'random prune (same sparsity)' };
  const svg = scatterChart({
    title: `Test accuracy vs connections — ${o.data.name}`,
    points: r.points.map((p) => ({ x: Math.max(1, p.connections), y: 100 * p.testAccuracy, group: groups[p.method], label: p.label })),
    frontier: false,
    x: { label: 'connections (log)', scale: 'log' },
    y: { label: 'test accuracy (%)' },
  });
  writeReport(join(o.outDir, 'report'), 'compare-tickets', {
    title: `NEAT vs lottery tickets on ${o.data.name}`,
    blocks: [
      heading('Setup'),
      paragraph(`Dataset ${o.data.name} (${o.data.source}); ${features(o.data)} inputs, ${o.data.classes} classes, test split of ${o.data.test.count} images. ` +
        `NEAT: ${o.neatRuns} run(s) from seed ${o.seed}, ${o.generations} generations, population ${(r.neatConfig as { populationSize: number }).populationSize}, fitness = accuracy on ${o.sampleCount} training images. ` +
        `MLP ${r.lotteryHparams.model}: ${o.levels} levels of layer-wise magnitude pruning (fc ${r.lotteryHparams.rateFc}, output ${r.lotteryHparams.rateOutput} per level), ${o.iterations} Adam steps per level, lottery run ${r.lotteryRunId}. ` +
        `Connections: NEAT enabled connection genes (bias links included); MLP kept weights (its ${o.hidden + o.data.classes} biases are not counted). Accuracies are final (no early stopping).`),
      heading('Accuracy vs connections'),
      table(columns, rows, { caption: 'MLP rows per pruning level; NEAT rows are the Pareto front of the per-generation best genomes' }),
      figure('accuracy-vs-connections', svg, 'Test accuracy against connections (log scale)'),
    ],
  });
}
