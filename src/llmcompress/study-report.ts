// The LM study's outputs: compare.md / compare.html with the conclusions, the method table at each
// pattern, a loss-vs-bytes chart (log x, Pareto frontier) and compare.json with every point.
import { join } from 'node:path';
import { figure, heading, list, paragraph, table, writeReport, type ReportDoc } from '../report/document.js';
import { scatterChart } from '../report/svg-chart.js';
import { formatTable } from '../report/table.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { LM_CATEGORY_LABEL, lmConclusions, type LmConclusions, type LmPoint, type LmStudyConfig } from './study.js';

export interface LmStudyResult {
  kind: 'lm';
  id: string;
  spec: string;
  dataset: string;
  source: string;
  config: LmStudyConfig;
  calibration: { sequences: number; tokens: number };
  points: LmPoint[];
  conclusions: LmConclusions;
  seconds: number;
}

export function lmStudyResult(r: Omit<LmStudyResult, 'conclusions'>): LmStudyResult {
  return { ...r, conclusions: lmConclusions(r.points, r.config.tolerances) };
}

const COLUMNS = ['point', 'kind', 'density', 'format', 'bytes', 'of fp32 dense', 'bits/weight', 'loss (nats)', 'bits/char', 'Δ nats', 'frontier'];

export function lmPointRows(r: LmStudyResult): Array<Array<string | number>> {
  const base = r.points.find((p) => p.category === 'baseline');
  const front = new Set(r.conclusions.frontier.map((p) => p.label));
  return [...r.points].sort((a, b) => a.bytes - b.bytes).map((p) => [
    p.label, LM_CATEGORY_LABEL[p.category], `${(100 * p.density).toFixed(1)}%`, p.format, p.bytes, base ? `${(100 * p.bytes / base.bytes).toFixed(2)}%` : '–',
    p.bitsPerWeight.toFixed(3), p.loss.toFixed(4), p.bitsPerChar.toFixed(4), base ? `${p.loss >= base.loss ? '+' : ''}${(p.loss - base.loss).toFixed(4)}` : '–', front.has(p.label) ? 'yes' : '',
  ]);
}

/** Methods × patterns at fp32 (the pruning comparison the papers report). */
export function methodTable(r: LmStudyResult, format = 'fp32'): { columns: string[]; rows: string[][] } {
  const pts = r.points.filter((p) => p.quant === 'rtn' && p.prune !== 'none' && p.format === format);
  const patterns = [...new Set(pts.map((p) => p.pattern))];
  const methods = [...new Set(pts.map((p) => p.prune))];
  return { columns: ['method', ...patterns.map((p) => `${p} (nats)`)], rows: methods.map((m) => [m, ...patterns.map((pat) => { const p = pts.find((q) => q.prune === m && q.pattern === pat); return p ? p.loss.toFixed(4) : '–'; })]) };
}

export function lmChart(r: LmStudyResult): string {
  const front = new Set(r.conclusions.frontier.map((p) => p.label));
  return scatterChart({
    title: `Validation loss vs model bytes — ${r.spec} on ${r.dataset}`,
    x: { label: 'model file bytes (log scale)', scale: 'log', format: (v) => (v < 1e6 ? `${(v / 1000).toFixed(0)} kB` : `${(v / 1e6).toFixed(1)} MB`) },
    y: { label: '− validation bits per character (higher is better)' },
    points: r.points.map((p) => ({ x: p.bytes, y: -p.bitsPerChar, group: LM_CATEGORY_LABEL[p.category], ...(front.has(p.label) ? { label: p.label } : {}) })),
    frontierLabel: 'Pareto frontier',
  });
}

export function lmStudyText(r: LmStudyResult): string {
  const m = methodTable(r);
  return [formatTable(COLUMNS, lmPointRows(r)), '', 'pruning methods (fp32, validation loss in nats):', formatTable(m.columns, m.rows), '', 'conclusions:', ...r.conclusions.statements.map((s) => `  - ${s}`)].join('\n');
}

export function lmStudyDoc(r: LmStudyResult): ReportDoc {
  const m = methodTable(r);
  const blocks: ReportDoc['blocks'] = [
    paragraph(`${r.spec} (${r.source}) on ${r.dataset}: ${r.points.length} stored variants, each written as a winnow-lm model file, read back and evaluated on `
      + `${r.config.evalTokens > 0 ? `the first ${r.config.evalTokens} characters` : 'the whole'} of the validation split in this run (non-overlapping context windows). Bytes are exact file sizes. `
      + `One-shot methods are calibrated layer by layer on ${r.calibration.sequences} training windows (${r.calibration.tokens} characters, seed ${r.config.seed}); embeddings are not pruned. `
      + `Pruned models are pruned in fp32, then each format rounds them to nearest; GPTQ and the joint mode round onto the format's integer grid with error compensation.`
      + (r.config.trained ? ` Trained sparse models (same recipe and seed as the dense model, ${r.config.trained.iterations} iterations, the block matrices sparse, embeddings dense), each stored in the same formats: `
        + [r.config.trained.tickets ? `IMP tickets (magnitude ${r.config.trained.impStrategy}, rewound to iteration ${r.config.trained.rewindIteration}, one level per sparsity, each pruning the one before) with their random-reinit and random-prune controls (kept off the frontier)` : '',
          r.config.trained.rigl ? 'RigL (ERK, α 0.3, ΔT 100, until 75% of training)' : ''].filter((x) => x).join('; ') + '.' : '')),
    heading('Conclusions'), list(r.conclusions.statements),
    heading('Pruning methods at fp32 (validation loss, nats)'), table(m.columns, m.rows),
    figure('loss-vs-bytes', lmChart(r), 'Negative validation bits per character against model file bytes (log scale); circled points and the dashed step line are the Pareto frontier.'),
    heading('Every point'), table(COLUMNS, lmPointRows(r)),
    paragraph(`Measured in ${r.seconds.toFixed(1)} s. Study id ${r.id}.`),
  ];
  return { title: `Compression study: ${r.spec} on ${r.dataset}`, blocks };
}

export function writeLmStudy(dir: string, r: LmStudyResult): string[] {
  const paths = writeReport(dir, 'compare', lmStudyDoc(r));
  const json = join(dir, 'compare.json');
  writeJsonAtomic(json, { ...r, frontier: r.conclusions.frontier.map((p) => p.label), conclusions: { ...r.conclusions, frontier: undefined } });
  return [...paths, json];
}
