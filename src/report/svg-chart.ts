// Standalone SVG charts as plain strings: line charts with optional ± bands (e.g. test accuracy vs
// % weights remaining, averaged over replicates) and scatter charts with a Pareto frontier.
// Output is deterministic (same options → byte-identical SVG), so figures diff cleanly in git.
// (Long on purpose: axes, ticks, legends and both chart kinds share one layout model in one file.)
import { createHash } from 'node:crypto';
import { escapeXml } from './escape.js';
import { paretoFrontier } from './pareto.js';
import { linearScale, logScale, thinTicks, type Scale, type TickSpec } from './scale.js';

export { paretoFrontier } from './pareto.js';
export { formatPercent, formatSig } from './scale.js';

/** Okabe–Ito colors, ordered for contrast on white (yellow last: it is faint). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const;
/** Marker shapes cycle with the colors so series stay distinguishable in grayscale. */
export const MARKERS = ['circle', 'square', 'diamond', 'triangle', 'triangle-down'] as const;
export type Marker = (typeof MARKERS)[number] | 'none';

export interface LinePoint {
  x: number;
  y: number;
  /** band bounds (e.g. mean − std, mean + std); the band is drawn where both are given */
  yLow?: number;
  yHigh?: number;
}

export interface LineSeries {
  name: string;
  points: readonly LinePoint[];
  /** default: PALETTE by series index */
  color?: string;
  /** default: MARKERS by series index */
  marker?: Marker;
  dashed?: boolean;
}

export interface AxisOptions {
  label?: string;
  scale?: 'linear' | 'log';
  /** 'auto': nice linear steps or 1-2-5 on log; 'data': at the data values; or explicit values */
  ticks?: TickSpec;
  format?: (v: number) => string;
  domain?: [number, number];
  /** draw high values on the left (x) / bottom (y) */
  reversed?: boolean;
}

export interface ChartFrame {
  title?: string;
  /** default 680 × 420 (the legend, when on the right, is inside this width) */
  width?: number;
  height?: number;
  x?: AxisOptions;
  y?: AxisOptions;
  /** 'auto' (default): inside the plot in a corner free of data, else below it */
  legend?: 'auto' | 'inside' | 'right' | 'bottom' | 'none';
}

export interface LineChartOptions extends ChartFrame {
  series: readonly LineSeries[];
}

export interface ScatterPoint {
  x: number;
  y: number;
  label?: string;
  group?: string;
}

export interface ScatterChartOptions extends ChartFrame {
  points: readonly ScatterPoint[];
  /** draw the Pareto frontier (maximize y, minimize x) as a step line; default true */
  frontier?: boolean;
  frontierLabel?: string;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TICK_FONT = 11;
const LABEL_FONT = 12;
const TITLE_FONT = 15;
const LEGEND_FONT = 12;

/** Coordinates with at most 2 decimals, no "-0": keeps output small and deterministic. */
function n(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Rough text width for layout (no font metrics in a string renderer): ~0.6 em per character. */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.6;
}

function markerSvg(shape: Marker, cx: number, cy: number, r: number, fill: string, stroke: string): string {
  const common = `fill="${fill}" stroke="${stroke}" stroke-width="1.2"`;
  switch (shape) {
    case 'none':
      return '';
    case 'circle':
      return `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" ${common}/>`;
    case 'square': {
      const s = r * 0.9;
      return `<rect x="${n(cx - s)}" y="${n(cy - s)}" width="${n(2 * s)}" height="${n(2 * s)}" ${common}/>`;
    }
    case 'diamond': {
      const s = r * 1.25;
      return `<path d="M${n(cx)} ${n(cy - s)}L${n(cx + s)} ${n(cy)}L${n(cx)} ${n(cy + s)}L${n(cx - s)} ${n(cy)}Z" ${common}/>`;
    }
    case 'triangle':
    case 'triangle-down': {
      const s = r * 1.3;
      const d = shape === 'triangle' ? 1 : -1;
      return `<path d="M${n(cx)} ${n(cy - d * s)}L${n(cx + s * 0.9)} ${n(cy + d * s * 0.6)}L${n(cx - s * 0.9)} ${n(cy + d * s * 0.6)}Z" ${common}/>`;
    }
  }
}

interface LegendItem {
  name: string;
  color: string;
  marker: Marker;
  line: boolean;
  dashed?: boolean;
  band?: boolean;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  legend: 'inside' | 'right' | 'bottom' | 'none';
  /** where the legend goes, for 'inside' and 'right'; rows of items for 'bottom' */
  legendBox?: Box;
  legendRows?: LegendItem[][];
}

const LEGEND_ROW = 20;
const legendItemWidth = (it: LegendItem): number => 30 + textWidth(it.name, LEGEND_FONT) * 1.05;

function legendRows(items: readonly LegendItem[], maxWidth: number): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const it of items) {
    const w = legendItemWidth(it) + 18;
    if (used + w > maxWidth && rows[rows.length - 1]!.length > 0) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1]!.push(it);
    used += w;
  }
  return rows;
}

function layout(frame: ChartFrame, items: readonly LegendItem[], yLabels: readonly string[], legend: Layout['legend']): Layout {
  const width = frame.width ?? 680;
  const height = frame.height ?? 420;
  const itemsW = Math.max(0, ...items.map(legendItemWidth));
  const legendW = legend === 'right' ? Math.min(width * 0.4, itemsW + 24) : 0;
  const rows = legend === 'bottom' ? legendRows(items, width - 28) : undefined;
  const legendH = rows ? rows.length * LEGEND_ROW + 4 : 0;
  const yTickW = Math.max(0, ...yLabels.map((s) => textWidth(s, TICK_FONT)));
  const left = 14 + (frame.y?.label ? LABEL_FONT + 10 : 0) + yTickW + 8;
  const top = frame.title ? 24 + TITLE_FONT : 16;
  const bottom = height - (22 + (frame.x?.label ? LABEL_FONT + 10 : 0) + legendH + 8);
  const right = width - 16 - legendW;
  const L: Layout = { width, height, left, right, top, bottom, legend, legendRows: rows };
  if (legend === 'right') L.legendBox = { x: right + 12, y: top, w: legendW - 12, h: items.length * LEGEND_ROW + 8 };
  return L;
}

function makeScale(axis: AxisOptions | undefined, values: readonly number[], range: [number, number], tickCount: number): Scale {
  const opts = {
    range: axis?.reversed ? ([range[1], range[0]] as [number, number]) : range,
    ticks: axis?.ticks,
    domain: axis?.domain,
    format: axis?.format,
    tickCount,
  };
  return axis?.scale === 'log' ? logScale(values, opts) : linearScale(values, opts);
}

type Obstacles = (x: Scale, y: Scale) => (readonly [number, number])[];

/**
 * Scales need the plot area, and the plot area needs y tick label widths and the legend's place;
 * an 'auto' legend goes in the first plot corner that no data (from `obstacles`) falls in.
 */
function scales(frame: ChartFrame, xs: readonly number[], ys: readonly number[], items: readonly LegendItem[], obstacles: Obstacles): { L: Layout; x: Scale; y: Scale; xTicks: number[] } {
  const build = (legend: Layout['legend']) => {
    // The vertical layout does not depend on the y labels, so the y scale can come first.
    const V = layout(frame, items, [], legend);
    const y = makeScale(frame.y, ys, [V.bottom, V.top], Math.max(2, Math.round((V.bottom - V.top) / 70)));
    const L = layout(frame, items, y.ticks.map(y.format), legend);
    const x = makeScale(frame.x, xs, [L.left, L.right], Math.max(2, Math.round((L.right - L.left) / 90)));
    const xTicks = thinTicks(x.ticks, x, (s) => textWidth(s, TICK_FONT), frame.x?.reversed ? 'high-first' : 'low-first');
    return { L, x, y, xTicks };
  };
  const mode = items.length === 0 ? 'none' : frame.legend ?? 'auto';
  if (mode !== 'auto' && mode !== 'inside') return build(mode);
  const r = build('inside');
  const { L } = r;
  const w = Math.max(...items.map(legendItemWidth)) + 20;
  const h = items.length * LEGEND_ROW + 8;
  const pts = obstacles(r.x, r.y);
  const corners: Box[] = [
    { x: L.right - 8 - w, y: L.top + 8, w, h },
    { x: L.right - 8 - w, y: L.bottom - 8 - h, w, h },
    { x: L.left + 8, y: L.bottom - 8 - h, w, h },
    { x: L.left + 8, y: L.top + 8, w, h },
  ];
  const hits = corners.map((b) => pts.filter(([px, py]) => px >= b.x - 6 && px <= b.x + b.w + 6 && py >= b.y - 6 && py <= b.y + b.h + 6).length);
  const fits = w < (L.right - L.left) / 2 && h < (L.bottom - L.top) * 0.6;
  const best = hits.indexOf(Math.min(...hits));
  if (fits && (hits[best] === 0 || mode === 'inside')) {
    r.L.legendBox = corners[best];
    return r;
  }
  return build('bottom');
}

/** Points along each segment, so a legend box is not placed across a line between two markers. */
function sampleSegments(pts: readonly (readonly [number, number])[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i]!;
    if (!Number.isFinite(x1) || !Number.isFinite(y1)) continue;
    out.push(pts[i]!);
    const next = pts[i + 1];
    if (!next || !Number.isFinite(next[0]) || !Number.isFinite(next[1])) continue;
    const steps = Math.ceil(Math.hypot(next[0] - x1, next[1] - y1) / 8);
    for (let k = 1; k < steps; k++) out.push([x1 + ((next[0] - x1) * k) / steps, y1 + ((next[1] - y1) * k) / steps]);
  }
  return out;
}

function clipId(kind: string, opts: unknown): string {
  // Unique per chart content so several charts inlined in one HTML page do not share clip paths.
  const json = JSON.stringify(opts, (_k, v) => (typeof v === 'function' ? String(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  return `${kind}-${createHash('sha256').update(json).digest('hex').slice(0, 10)}`;
}

function frameSvg(frame: ChartFrame, L: Layout, x: Scale, y: Scale, xTicks: readonly number[], id: string, body: string[], items: readonly LegendItem[]): string {
  const out: string[] = [];
  const { width, height } = L;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT)}" role="img">`,
  );
  if (frame.title) out.push(`<title>${escapeXml(frame.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="${id}"><rect x="${n(L.left)}" y="${n(L.top)}" width="${n(L.right - L.left)}" height="${n(L.bottom - L.top)}"/></clipPath></defs>`);

  // Grid and ticks.
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of y.ticks) {
    const py = y.toPx(t);
    grid.push(`<line x1="${n(L.left)}" y1="${n(py)}" x2="${n(L.right)}" y2="${n(py)}"/>`);
    labels.push(`<text x="${n(L.left - 7)}" y="${n(py)}" text-anchor="end" dy="0.32em">${escapeXml(y.format(t))}</text>`);
  }
  for (const t of xTicks) {
    const px = x.toPx(t);
    grid.push(`<line x1="${n(px)}" y1="${n(L.top)}" x2="${n(px)}" y2="${n(L.bottom)}"/>`);
    labels.push(`<text x="${n(px)}" y="${n(L.bottom + 8)}" text-anchor="middle" dy="0.71em">${escapeXml(x.format(t))}</text>`);
  }
  out.push(`<g stroke="#e6e6e6" stroke-width="1">${grid.join('')}</g>`);
  out.push(...body);
  const tickMarks = [
    ...y.ticks.map((t) => `<line x1="${n(L.left - 4)}" y1="${n(y.toPx(t))}" x2="${n(L.left)}" y2="${n(y.toPx(t))}"/>`),
    ...xTicks.map((t) => `<line x1="${n(x.toPx(t))}" y1="${n(L.bottom)}" x2="${n(x.toPx(t))}" y2="${n(L.bottom + 4)}"/>`),
  ];
  out.push(`<g stroke="#444444" stroke-width="1"><path d="M${n(L.left)} ${n(L.top)}V${n(L.bottom)}H${n(L.right)}" fill="none"/>${tickMarks.join('')}</g>`);
  out.push(`<g font-size="${TICK_FONT}" fill="#444444">${labels.join('')}</g>`);

  const midX = (L.left + L.right) / 2;
  const midY = (L.top + L.bottom) / 2;
  if (frame.title) {
    // Centered over the plot unless it is wider than the plot; then it starts at the left margin.
    const wide = textWidth(frame.title, TITLE_FONT) > L.right - L.left;
    out.push(`<text x="${n(wide ? 14 : midX)}" y="${n(14 + TITLE_FONT * 0.8)}"${wide ? '' : ' text-anchor="middle"'} font-size="${TITLE_FONT}" font-weight="600" fill="#111111">${escapeXml(frame.title)}</text>`);
  }
  if (frame.x?.label) out.push(`<text x="${n(midX)}" y="${n(L.bottom + 22 + LABEL_FONT)}" text-anchor="middle" font-size="${LABEL_FONT}" fill="#222222">${escapeXml(frame.x.label)}</text>`);
  if (frame.y?.label) out.push(`<text transform="translate(${n(14 + LABEL_FONT * 0.8)} ${n(midY)}) rotate(-90)" text-anchor="middle" font-size="${LABEL_FONT}" fill="#222222">${escapeXml(frame.y.label)}</text>`);
  if (L.legend !== 'none') out.push(legendSvg(L, items));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function legendSvg(L: Layout, items: readonly LegendItem[]): string {
  const parts: string[] = [];
  const swatch = (it: LegendItem, x0: number, cy: number): void => {
    if (it.band) parts.push(`<rect x="${n(x0)}" y="${n(cy - 6)}" width="24" height="12" fill="${it.color}" fill-opacity="0.18"/>`);
    if (it.line) parts.push(`<line x1="${n(x0)}" y1="${n(cy)}" x2="${n(x0 + 24)}" y2="${n(cy)}" stroke="${it.color}" stroke-width="2"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(markerSvg(it.marker, x0 + 12, cy, 3.5, it.color, '#ffffff'));
    parts.push(`<text x="${n(x0 + 30)}" y="${n(cy)}" dy="0.32em">${escapeXml(it.name)}</text>`);
  };
  if (L.legend === 'bottom') {
    const rows = L.legendRows ?? [];
    rows.forEach((row, r) => {
      let x0 = 14; // rows were sized for the full width, not the plot's
      const cy = L.height - 8 - (rows.length - r) * LEGEND_ROW + LEGEND_ROW / 2;
      for (const it of row) {
        swatch(it, x0, cy);
        x0 += legendItemWidth(it) + 18;
      }
    });
  } else if (L.legendBox) {
    const b = L.legendBox;
    if (L.legend === 'inside') parts.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="3" fill="#ffffff" fill-opacity="0.85" stroke="#d0d0d0"/>`);
    items.forEach((it, i) => swatch(it, b.x + 8, b.y + 4 + LEGEND_ROW / 2 + i * LEGEND_ROW));
  }
  return `<g font-size="${LEGEND_FONT}" fill="#222222">${parts.join('')}</g>`;
}

/** Path through consecutive points with finite coordinates; a non-finite value breaks the line. */
function polyline(pts: readonly (readonly [number, number])[]): string {
  let d = '';
  let pen = false;
  for (const [px, py] of pts) {
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${n(px)} ${n(py)}`;
    pen = true;
  }
  return d;
}

/** Line chart of named series, each with optional yLow/yHigh band, on a linear or log10 x-axis. */
export function lineChart(opts: LineChartOptions): string {
  const series = opts.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    marker: s.marker ?? MARKERS[i % MARKERS.length]!,
    points: [...s.points].filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x),
  }));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.yLow ?? NaN, p.yHigh ?? NaN]));
  const items: LegendItem[] = series.map((s) => ({
    name: s.name, color: s.color, marker: s.marker, line: true, dashed: s.dashed,
    band: s.points.some((p) => p.yLow !== undefined && p.yHigh !== undefined),
  }));
  const obstacles: Obstacles = (x, y) =>
    series.flatMap((s) => [
      ...sampleSegments(s.points.map((p) => [x.toPx(p.x), y.toPx(p.y)] as const)),
      ...sampleSegments(s.points.map((p) => [x.toPx(p.x), y.toPx(p.yLow ?? NaN)] as const)),
      ...sampleSegments(s.points.map((p) => [x.toPx(p.x), y.toPx(p.yHigh ?? NaN)] as const)),
    ]);
  const { L, x, y, xTicks } = scales(opts, xs, ys, items, obstacles);
  const id = clipId('line', opts);
  const body: string[] = [];
  const bands: string[] = [];
  const lines: string[] = [];
  const marks: string[] = [];
  for (const s of series) {
    // Bands: one closed area per run of consecutive points that have both bounds.
    let run: LinePoint[] = [];
    const flush = (): void => {
      if (run.length >= 2) {
        const upper = run.map((p) => [x.toPx(p.x), y.toPx(p.yHigh!)] as const);
        const lower = [...run].reverse().map((p) => [x.toPx(p.x), y.toPx(p.yLow!)] as const);
        bands.push(`<path d="${polyline([...upper, ...lower])}Z" fill="${s.color}" fill-opacity="0.16" stroke="none"/>`);
      }
      run = [];
    };
    for (const p of s.points) {
      if (Number.isFinite(p.yLow) && Number.isFinite(p.yHigh)) run.push(p);
      else flush();
    }
    flush();
    const d = polyline(s.points.map((p) => [x.toPx(p.x), y.toPx(p.y)] as const));
    if (d) lines.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of s.points) {
      if (!Number.isFinite(p.y) || p.y < y.domain[0] || p.y > y.domain[1] || p.x < x.domain[0] || p.x > x.domain[1]) continue;
      marks.push(markerSvg(s.marker, x.toPx(p.x), y.toPx(p.y), 3.5, s.color, '#ffffff'));
    }
  }
  body.push(`<g clip-path="url(#${id})">${bands.join('')}${lines.join('')}</g>`);
  body.push(`<g>${marks.join('')}</g>`);
  return frameSvg(opts, L, x, y, xTicks, id, body, items);
}

/** Scatter chart of labelled, grouped points (log x by default) with the Pareto frontier highlighted. */
export function scatterChart(opts: ScatterChartOptions): string {
  const frame: ScatterChartOptions = { ...opts, x: { scale: 'log', ...opts.x } };
  const pts = opts.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const groups = [...new Set(pts.map((p) => p.group ?? ''))];
  const style = new Map(groups.map((g, i) => [g, { color: PALETTE[i % PALETTE.length]!, marker: MARKERS[i % MARKERS.length]! }]));
  const front = opts.frontier ?? true ? paretoFrontier(pts) : [];
  const items: LegendItem[] = groups.filter((g) => g !== '').map((g) => ({ name: g, ...style.get(g)!, line: false }));
  if (front.length > 0) items.push({ name: opts.frontierLabel ?? 'Pareto frontier', color: '#333333', marker: 'none', line: true, dashed: true });

  // The frontier as a step line: the best y reachable with at most a given x, run on to the plot edge.
  const stepLine = (x: Scale, y: Scale, edge: number): (readonly [number, number])[] => {
    const out: (readonly [number, number])[] = [];
    front.forEach((p, i) => {
      if (i > 0) out.push([x.toPx(p.x), y.toPx(front[i - 1]!.y)]);
      out.push([x.toPx(p.x), y.toPx(p.y)]);
    });
    if (front.length > 0) out.push([edge, y.toPx(front[front.length - 1]!.y)]);
    return out;
  };
  const edgeOf = (x: Scale): number => x.toPx(x.domain[1]);
  const obstacles: Obstacles = (x, y) => [
    ...pts.map((p) => [x.toPx(p.x), y.toPx(p.y)] as const),
    ...sampleSegments(stepLine(x, y, edgeOf(x))),
  ];
  const { L, x, y, xTicks } = scales(frame, pts.map((p) => p.x), pts.map((p) => p.y), items, obstacles);
  const id = clipId('scatter', opts);
  const body: string[] = [];
  if (front.length > 0) {
    body.push(`<g clip-path="url(#${id})"><path d="${polyline(stepLine(x, y, edgeOf(x)))}" fill="none" stroke="#333333" stroke-width="1.5" stroke-dasharray="5 3"/></g>`);
  }
  const onFront = new Set(front);
  const marks: string[] = [];
  const texts: string[] = [];
  const visible = pts.filter((p) => p.y >= y.domain[0] && p.y <= y.domain[1] && p.x >= x.domain[0] && p.x <= x.domain[1]);
  // Label boxes avoid every marker and each earlier label: try four spots around the point, else skip.
  const taken: Box[] = visible.map((p) => ({ x: x.toPx(p.x) - 5, y: y.toPx(p.y) - 5, w: 10, h: 10 }));
  for (const [sx, sy] of sampleSegments(stepLine(x, y, edgeOf(x)))) taken.push({ x: sx - 2, y: sy - 2, w: 4, h: 4 });
  if (L.legendBox && L.legend === 'inside') taken.push(L.legendBox);
  const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  for (const p of visible) {
    const s = style.get(p.group ?? '')!;
    const px = x.toPx(p.x);
    const py = y.toPx(p.y);
    if (onFront.has(p)) marks.push(`<circle cx="${n(px)}" cy="${n(py)}" r="7" fill="none" stroke="#333333" stroke-width="1.2"/>`);
    marks.push(markerSvg(s.marker, px, py, 4, s.color, '#ffffff'));
  }
  // Frontier labels are placed first: when space runs out, the others are the ones dropped.
  for (const p of [...visible.filter((q) => onFront.has(q)), ...visible.filter((q) => !onFront.has(q))]) {
    if (!p.label) continue;
    const px = x.toPx(p.x);
    const py = y.toPx(p.y);
    const w = textWidth(p.label, 10);
    const spots: { box: Box; anchor: 'start' | 'end' }[] = [
      { box: { x: px + 7, y: py - 15, w, h: 11 }, anchor: 'start' },
      { box: { x: px + 7, y: py + 4, w, h: 11 }, anchor: 'start' },
      { box: { x: px - 7 - w, y: py - 15, w, h: 11 }, anchor: 'end' },
      { box: { x: px - 7 - w, y: py + 4, w, h: 11 }, anchor: 'end' },
    ];
    const spot = spots.find(({ box }) => box.x >= L.left && box.x + box.w <= L.right && box.y >= L.top - 10 && box.y + box.h <= L.bottom && !taken.some((t) => overlaps(t, box)));
    if (!spot) continue;
    taken.push(spot.box);
    const tx = spot.anchor === 'start' ? spot.box.x : spot.box.x + w;
    texts.push(`<text x="${n(tx)}" y="${n(spot.box.y + 9)}"${spot.anchor === 'end' ? ' text-anchor="end"' : ''}>${escapeXml(p.label)}</text>`);
  }
  body.push(`<g>${marks.join('')}</g>`);
  if (texts.length) body.push(`<g font-size="10" fill="#333333">${texts.join('')}</g>`);
  return frameSvg(frame, L, x, y, xTicks, id, body, items);
}
