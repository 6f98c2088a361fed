// Plain-string SVG drawings: a genome's network (nodes by depth, inputs left, outputs right; edge colour =
// sign, width = |weight|, disabled links dashed grey, back edges curved) and a chart of best/mean fitness
// and complexity (hidden nodes, enabled connections of the best genome) over generations; and, for a set
// of runs, the share of runs solved against evaluations spent.
import { lineChart, type LineSeries } from '../report/svg-chart.js';
import type { Genome } from './genome.js';
import { evaluationOrder } from './network.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
function f(x: number): string { return (Math.round(x * 10) / 10).toString(); }

export function networkSvg(g: Genome, title = `genome ${g.id} (fitness ${g.fitness.toPrecision(5)})`): string {
  const { order } = evaluationOrder(g);
  const pos = new Map<number, number>();
  order.forEach((id, k) => pos.set(id, k));
  // depth = longest path from inputs over forward (non-back) enabled edges
  const depth = new Map<number, number>();
  for (const n of g.nodes) if (n.type === 'input' || n.type === 'bias') depth.set(n.id, 0);
  const enabled = g.conns.filter((c) => c.enabled);
  for (const id of order) {
    let d = 1;
    for (const c of enabled) {
      if (c.to !== id) continue;
      const back = pos.has(c.from) && pos.get(c.from)! >= pos.get(id)!;
      if (!back && depth.has(c.from)) d = Math.max(d, depth.get(c.from)! + 1);
    }
    depth.set(id, d);
  }
  let maxDepth = 1;
  for (const [, d] of depth) maxDepth = Math.max(maxDepth, d);
  for (const n of g.nodes) {
    if (n.type === 'output') depth.set(n.id, maxDepth);
    if (!depth.has(n.id)) depth.set(n.id, Math.max(1, maxDepth - 1)); // nodes that do not affect the outputs
  }
  const layers = new Map<number, number[]>();
  for (const n of g.nodes) {
    const d = depth.get(n.id)!;
    if (!layers.has(d)) layers.set(d, []);
    layers.get(d)!.push(n.id);
  }
  const W = 140 + maxDepth * 160;
  let maxLayer = 1;
  for (const [, l] of layers) maxLayer = Math.max(maxLayer, l.length);
  const H = 80 + maxLayer * 50;
  const xy = new Map<number, [number, number]>();
  for (const [d, ids] of layers) {
    ids.forEach((id, i) => xy.set(id, [70 + d * 160, 50 + ((i + 0.5) * (H - 70)) / ids.length]));
  }
  const maxW = Math.max(1e-9, ...g.conns.map((c) => Math.abs(c.weight)));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/><text x="10" y="18" font-size="13">${esc(title)}</text>`);
  for (const c of g.conns) {
    const a = xy.get(c.from), b = xy.get(c.to);
    if (!a || !b) continue;
    const colour = !c.enabled ? '#bbb' : c.weight >= 0 ? '#c0392b' : '#2964b8';
    const width = c.enabled ? 0.6 + (3.4 * Math.abs(c.weight)) / maxW : 0.8;
    const dash = c.enabled ? '' : ' stroke-dasharray="4 3"';
    const tip = `<title>${c.from}→${c.to} w=${c.weight.toFixed(3)} innov ${c.innovation}${c.enabled ? '' : ' (disabled)'}</title>`;
    if (c.from === c.to) {
      parts.push(`<path d="M${f(a[0])},${f(a[1] - 10)} c 25,-30 -25,-30 0,0" fill="none" stroke="${colour}" stroke-width="${f(width)}"${dash}>${tip}</path>`);
    } else if (b[0] <= a[0]) {
      const mx = (a[0] + b[0]) / 2, my = Math.min(a[1], b[1]) - 40;
      parts.push(`<path d="M${f(a[0])},${f(a[1])} Q${f(mx)},${f(my)} ${f(b[0])},${f(b[1])}" fill="none" stroke="${colour}" stroke-width="${f(width)}"${dash}>${tip}</path>`);
    } else {
      parts.push(`<line x1="${f(a[0])}" y1="${f(a[1])}" x2="${f(b[0])}" y2="${f(b[1])}" stroke="${colour}" stroke-width="${f(width)}"${dash}>${tip}</line>`);
    }
  }
  for (const n of g.nodes) {
    const [x, y] = xy.get(n.id)!;
    const fill = n.type === 'input' ? '#e8f1fb' : n.type === 'bias' ? '#fdf2d0' : n.type === 'output' ? '#e3f5e1' : '#f2f2f2';
    parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="13" fill="${fill}" stroke="#333"><title>node ${n.id} ${n.type} ${n.activation}</title></circle>`);
    parts.push(`<text x="${f(x)}" y="${f(y + 4)}" text-anchor="middle">${n.type === 'bias' ? 'b' : n.id}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface ChartPoint { generation: number; bestFitness: number; meanFitness: number; bestHidden: number; bestEnabled: number }

/**
 * Two stacked panels drawn by the report renderer (src/report/svg-chart.ts): fitness (best, mean) and
 * complexity (best genome's hidden nodes and enabled connections) against generation.
 */
export function fitnessChartSvg(h: ChartPoint[], title: string): string {
  const W = 720, PH = 320;
  const line = (name: string, values: (p: ChartPoint) => number, color: string, dashed = false): LineSeries =>
    ({ name, points: h.map((p) => ({ x: p.generation, y: values(p) })), color, dashed, marker: 'none' });
  const fitness = lineChart({
    title, width: W, height: PH, legend: 'auto',
    x: { label: 'generation' }, y: { label: 'fitness' },
    series: [line('best fitness', (p) => p.bestFitness, '#c0392b'), line('mean fitness', (p) => p.meanFitness, '#2964b8', true)],
  });
  const complexity = lineChart({
    title: `${title}: complexity of the best genome`, width: W, height: PH, legend: 'auto',
    x: { label: 'generation' }, y: { label: 'count' },
    series: [line('hidden nodes', (p) => p.bestHidden, '#27ae60'), line('enabled connections', (p) => p.bestEnabled, '#8e44ad', true)],
  });
  // Each panel is a complete chart; nested <svg> elements place them one above the other.
  const at = (svg: string, y: number) => svg.replace(/^<svg /, `<svg x="0" y="${y}" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * PH}" viewBox="0 0 ${W} ${2 * PH}">\n${at(fitness, 0)}${at(complexity, PH)}</svg>\n`;
}

/**
 * Success rate against evaluations for a set of runs (an empirical CDF over the runs, failures never
 * reaching it), with vertical lines at the mean of the solved runs and, when given, the paper's mean.
 */
export function runsChartSvg(runs: ReadonlyArray<{ solved: boolean; evaluations: number }>, title: string, paperMean?: number): string {
  const solved = runs.filter((r) => r.solved).map((r) => r.evaluations).sort((a, b) => a - b);
  const pct = (k: number) => (100 * k) / runs.length;
  const points = solved.flatMap((e, i) => [{ x: e, y: pct(i) }, { x: e, y: pct(i + 1) }]);
  const vertical = (name: string, x: number, color: string): LineSeries => ({ name, points: [{ x, y: 0 }, { x, y: 100 }], color, dashed: true, marker: 'none' });
  const mean = solved.length ? solved.reduce((a, b) => a + b, 0) / solved.length : NaN;
  const series: LineSeries[] = [{ name: `runs solved (${solved.length} of ${runs.length})`, points, marker: 'none' }];
  if (Number.isFinite(mean)) series.push(vertical(`mean ${Math.round(mean).toLocaleString('en-US')}`, mean, '#D55E00'));
  if (paperMean !== undefined) series.push(vertical(`paper mean ${paperMean.toLocaleString('en-US')}`, paperMean, '#555555'));
  return lineChart({
    title, series, legend: 'auto',
    x: { label: 'evaluations (log)', scale: 'log' },
    y: { label: 'runs solved (%)', domain: [0, 100] },
  });
}
