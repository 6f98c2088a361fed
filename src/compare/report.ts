// The study's outputs: a terminal table, an accuracy-vs-bytes scatter chart (log x, Pareto frontier),
// and compare.md / compare.html (+ the SVG) with the conclusions derived from the measurements,
// plus compare.json with every point.
import { join } from 'node:path';
import { figure, heading, list, paragraph, table, writeReport, type ReportDoc } from '../report/document.js';
import { scatterChart } from '../report/svg-chart.js';
import { formatTable } from '../report/table.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { fmtBytes } from './conclusions.js';
import { CATEGORY_LABEL, type StudyPoint } from './points.js';
import type { StudyResult } from './study.js';

const pct = (v: number, d = 2): string => (Number.isFinite(v) ? `${(100 * v).toFixed(d)}%` : '–');

function baselineOf(r: StudyResult): StudyPoint | undefined { return r.points.find((p) => p.category === 'baseline'); }

export function pointRows(r: StudyResult): Array<Array<string | number>> {
  const base = baselineOf(r);
  const front = new Set(r.conclusions.frontier);
  return [...r.points].sort((a, b) => a.bytes - b.bytes).map((p) => [
    p.label, CATEGORY_LABEL[p.category], pct(p.density), p.format, p.encoding, p.bytes,
    base ? pct(p.bytes / base.bytes) : '–', Number.isFinite(p.bitsPerWeight) ? p.bitsPerWeight.toFixed(3) : '–',
    pct(p.testAccuracy), base ? `${p.testAccuracy >= base.testAccuracy ? '+' : ''}${(100 * (p.testAccuracy - base.testAccuracy)).toFixed(2)}` : '–',
    front.has(p) ? 'yes' : '',
  ]);
}

const COLUMNS = ['point', 'kind', 'density', 'format', 'encoding', 'bytes', 'of fp32 dense', 'bits/weight', 'test acc', 'Δ points', 'frontier'];

export function terminalTable(r: StudyResult): string {
  return formatTable(COLUMNS, pointRows(r));
}

export function studyChart(r: StudyResult): string {
  const front = new Set(r.conclusions.frontier);
  return scatterChart({
    title: `Test accuracy vs model bytes — ${r.info.spec} on ${r.dataset}`,
    x: { label: 'model file bytes (log scale)', scale: 'log', format: (v) => fmtBytes(v) },
    y: { label: 'test accuracy (%)' },
    points: r.points.filter((p) => Number.isFinite(p.testAccuracy)).map((p) => ({
      x: p.bytes, y: 100 * p.testAccuracy, group: CATEGORY_LABEL[p.category], ...(front.has(p) ? { label: p.label } : {}),
    })),
    frontierLabel: 'Pareto frontier',
  });
}

/** The ticket matrix: one row per level, one column per format, accuracy (bytes). */
function ticketMatrix(r: StudyResult, source: 'ticket' | 'random-prune'): { columns: string[]; rows: Array<Array<string>> } | null {
  const pts = r.points.filter((p) => p.source === source);
  if (pts.length === 0) return null;
  const levels = [...new Set(pts.map((p) => p.level!))].sort((a, b) => a - b);
  const formats = r.config.ticketFormats;
  return {
    columns: ['level', 'density', ...formats],
    rows: levels.map((l) => {
      const at = pts.filter((p) => p.level === l);
      return [`L${l}`, pct(at[0]!.density), ...formats.map((f) => { const p = at.find((q) => q.format === f); return p ? `${pct(p.testAccuracy)} (${fmtBytes(p.bytes)})` : '–'; })];
    }),
  };
}

export function studyDoc(r: StudyResult): ReportDoc {
  const base = baselineOf(r);
  const c = r.conclusions;
  const h = r.hparams;
  const blocks: ReportDoc['blocks'] = [
    paragraph(`${r.info.spec} on ${r.dataset}: ${r.points.length} stored variants, each written as a winnow model file, read back and evaluated on the ${r.dataset} test split in this run. `
      + `Bytes are exact file sizes (header and checksum included); weights use the smallest encoding for their format (auto), biases fp32. `
      + `Lottery run ${r.runId}: ${h.iterations} steps per level, layer-wise magnitude pruning of ${pct(h.rateFc, 0)} of the remaining fc weights per level (${pct(h.rateOutput, 0)} of the output layer), rewinding to initialization; accuracies are of the final weights. `
      + (base ? `Dense fp32: ${fmtBytes(base.bytes)}, ${pct(base.testAccuracy)}.` : '')),
    heading('Conclusions'),
    heading('Where sparsity wins', 3),
    c.statements.sparsity.length ? list(c.statements.sparsity) : paragraph('Sparsity alone (fp32 tickets) wins at no byte budget and at no accuracy tolerance measured here.'),
    heading('Where quantization wins', 3),
    c.statements.quantization.length ? list(c.statements.quantization) : paragraph('Quantization alone (dense network) wins at no byte budget and at no accuracy tolerance measured here.'),
    heading('Where combining them wins', 3),
    c.statements.combined.length ? list(c.statements.combined) : paragraph('Sparse and quantized together win at no byte budget and at no accuracy tolerance measured here.'),
    heading('Frontier', 3),
    list(c.statements.frontier),
  ];
  if (c.statements.controls.length) blocks.push(heading('Tickets vs random pruning', 3), list(c.statements.controls));
  blocks.push(paragraph(r.neatNote));
  blocks.push(figure('accuracy-vs-bytes', studyChart(r), 'Test accuracy against model file bytes (log scale); circled points and the dashed step line are the Pareto frontier.'));
  for (const [src, title] of [['ticket', 'Tickets: test accuracy (file bytes) by level and format'], ['random-prune', 'Random-pruned controls: test accuracy (file bytes)']] as const) {
    const m = ticketMatrix(r, src);
    if (m) blocks.push(heading(title), table(m.columns, m.rows));
  }
  blocks.push(heading('Every point'), table(COLUMNS, pointRows(r)));
  blocks.push(paragraph(`Measured in ${r.seconds.lottery.toFixed(1)} s of lottery training/loading and ${r.seconds.measure.toFixed(1)} s of compression and evaluation. Study id ${r.id}.`));
  return { title: `Compression study: ${r.info.spec} on ${r.dataset}`, blocks };
}

/** Writes compare.md, compare.html, compare-accuracy-vs-bytes.svg and compare.json into `dir`. */
export function writeStudy(dir: string, r: StudyResult): string[] {
  const paths = writeReport(dir, 'compare', studyDoc(r));
  const json = join(dir, 'compare.json');
  writeJsonAtomic(json, { id: r.id, runId: r.runId, config: r.config, hparams: r.hparams, dataset: r.dataset, info: r.info, points: r.points,
    frontier: r.conclusions.frontier.map((p) => p.label), conclusions: { ...r.conclusions, frontier: undefined }, neat: r.neatNote, seconds: r.seconds });
  return [...paths, json];
}
