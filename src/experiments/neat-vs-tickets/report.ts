// NEAT vs lottery tickets: the table (MLP levels beside NEAT's Pareto front) and the report with its chart
// of test accuracy against connections.
import { join } from 'node:path';
import { features, type Dataset } from '../../data/dataset.js';
import { figure, heading, paragraph, table, writeReport, type CellValue } from '../../report/document.js';
import { scatterChart } from '../../report/svg-chart.js';
import type { LotteryHparams } from '../../lottery/hparams.js';

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

export interface ReportSetup { data: Dataset; seed: number; neatRuns: number; generations: number; sampleCount: number; hidden: number; levels: number; iterations: number; outDir: string }

export function writeCompareReport(o: ReportSetup, r: CompareResult): string[] {
  const { columns, rows } = compareTable(r.points);
  const groups: Record<ComparePoint['method'], string> = { neat: 'NEAT best genome per generation', ticket: 'lottery ticket (IMP)', 'random-prune': 'random prune (same sparsity)' };
  const svg = scatterChart({
    title: `Test accuracy vs connections — ${o.data.name}`,
    points: r.points.map((p) => ({ x: Math.max(1, p.connections), y: 100 * p.testAccuracy, group: groups[p.method], label: p.label })),
    frontier: false,
    x: { label: 'connections (log)', scale: 'log' },
    y: { label: 'test accuracy (%)' },
  });
  return writeReport(join(o.outDir, 'report'), 'compare-tickets', {
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
