// Conclusions derived from the measured points only (no statement is written in advance):
//   - the Pareto frontier (accuracy up, bytes down) and which technique owns which stretch of it;
//   - at every byte budget, which of quantization only / sparsity only / both reaches the best accuracy;
//   - at iso-accuracy (within t points of dense fp32), which technique gives the smallest file;
//   - tickets against their random-pruned controls at equal density and format.
import { paretoFrontier } from '../report/pareto.js';
import { CATEGORY_LABEL, type Category, type StudyPoint } from './points.js';

export const COMPETITORS: Category[] = ['quantization', 'sparsity', 'combined'];

export function fmtBytes(b: number): string {
  if (b < 1000) return `${b} B`;
  if (b < 1e6) return `${(b / 1000).toFixed(1)} kB`;
  return `${(b / 1e6).toFixed(2)} MB`;
}
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const pts = (v: number): string => `${(100 * v).toFixed(2)} points`;

export interface BudgetRange {
  /** Budgets (bytes) from..to where the same category wins. */
  from: number;
  to: number;
  winner: Category | 'tie';
  /** Best accuracy per competitor at budget `to` (null: no point that small). */
  best: Record<string, { accuracy: number; label: string } | null>;
}

export interface IsoAccuracy {
  tolerance: number;
  target: number;
  smallest: Record<string, StudyPoint | null>;
  winner: Category | null;
}

export interface Conclusions {
  frontier: StudyPoint[];
  /** Consecutive frontier stretches owned by one category. */
  frontierRuns: Array<{ category: Category; from: number; to: number; labels: string[] }>;
  budgets: BudgetRange[];
  /** Sparsity alone against quantization alone. */
  headToHead: BudgetRange[];
  iso: IsoAccuracy[];
  controls: { pairs: number; ticketWins: number; meanGap: number; byLevel: Array<{ level: number; density: number; gap: number; pairs: number }> } | null;
  statements: {
    sparsity: string[];
    quantization: string[];
    combined: string[];
    frontier: string[];
    controls: string[];
  };
}

function bestWithin(points: readonly StudyPoint[], cat: Category, budget: number): StudyPoint | null {
  let best: StudyPoint | null = null;
  for (const p of points) {
    if (p.category !== cat || p.bytes > budget || !Number.isFinite(p.testAccuracy)) continue;
    if (!best || p.testAccuracy > best.testAccuracy || (p.testAccuracy === best.testAccuracy && p.bytes < best.bytes)) best = p;
  }
  return best;
}

/**
 * For every measured size B (of the given categories' points), the category whose best point with at most B
 * bytes is most accurate (equal accuracy: the smaller file; equal both: a tie); consecutive budgets with the
 * same winner are merged into ranges.
 */
export function sweep(points: readonly StudyPoint[], cats: readonly Category[]): BudgetRange[] {
  const budgets = [...new Set(points.filter((p) => cats.includes(p.category)).map((p) => p.bytes))].sort((a, b) => a - b);
  const ranges: BudgetRange[] = [];
  for (const b of budgets) {
    const best = Object.fromEntries(cats.map((c) => [c, bestWithin(points, c, b)])) as Record<Category, StudyPoint | null>;
    const present = cats.filter((c) => best[c]);
    if (present.length === 0) continue;
    const top = Math.max(...present.map((c) => best[c]!.testAccuracy));
    const tied = present.filter((c) => best[c]!.testAccuracy === top);
    const minBytes = Math.min(...tied.map((c) => best[c]!.bytes));
    const winners = tied.filter((c) => best[c]!.bytes === minBytes);
    const winner: Category | 'tie' = winners.length === 1 ? winners[0]! : 'tie';
    const summary = Object.fromEntries(cats.map((c) => [c, best[c] ? { accuracy: best[c]!.testAccuracy, label: best[c]!.label } : null]));
    const last = ranges[ranges.length - 1];
    const sameSet = last && cats.every((c) => (last.best[c] === null) === (best[c] === null));
    if (last && last.winner === winner && sameSet) { last.to = b; last.best = summary; } else ranges.push({ from: b, to: b, winner, best: summary });
  }
  return ranges;
}

export function deriveConclusions(points: readonly StudyPoint[], tolerances: readonly number[] = [0.005, 0.01, 0.02]): Conclusions {
  const front = paretoFrontier(points.map((p) => ({ x: p.bytes, y: p.testAccuracy, p }))).map((f) => f.p);
  const frontierRuns: Conclusions['frontierRuns'] = [];
  for (const p of front) {
    const last = frontierRuns[frontierRuns.length - 1];
    if (last && last.category === p.category) { last.to = p.bytes; last.labels.push(p.label); } else frontierRuns.push({ category: p.category, from: p.bytes, to: p.bytes, labels: [p.label] });
  }

  const ranges = sweep(points, COMPETITORS);
  const headToHead = sweep(points, ['sparsity', 'quantization']);

  const baseline = points.find((p) => p.category === 'baseline');
  const iso: IsoAccuracy[] = [];
  if (baseline) {
    for (const t of tolerances) {
      const target = baseline.testAccuracy - t;
      const smallest: Record<string, StudyPoint | null> = {};
      for (const c of COMPETITORS) {
        const ok = points.filter((p) => p.category === c && p.testAccuracy >= target).sort((a, b) => a.bytes - b.bytes || b.testAccuracy - a.testAccuracy);
        smallest[c] = ok[0] ?? null;
      }
      const cands = COMPETITORS.filter((c) => smallest[c]);
      const winner = cands.length ? cands.reduce((a, b) => (smallest[b]!.bytes < smallest[a]!.bytes ? b : a)) : null;
      iso.push({ tolerance: t, target, smallest, winner });
    }
  }

  // Tickets vs random-pruned controls at the same level and format.
  const tickets = points.filter((p) => p.source === 'ticket');
  const controlsList = points.filter((p) => p.source === 'random-prune');
  const pairs: Array<{ level: number; density: number; gap: number }> = [];
  for (const c of controlsList) {
    const t = tickets.find((q) => q.level === c.level && q.format === c.format);
    if (t && c.level !== null) pairs.push({ level: c.level, density: t.density, gap: t.testAccuracy - c.testAccuracy });
  }
  const levels = [...new Set(pairs.map((p) => p.level))].sort((a, b) => a - b);
  const controls = pairs.length ? {
    pairs: pairs.length, ticketWins: pairs.filter((p) => p.gap > 0).length, meanGap: pairs.reduce((s, p) => s + p.gap, 0) / pairs.length,
    byLevel: levels.map((level) => {
      const at = pairs.filter((p) => p.level === level);
      return { level, density: at[0]!.density, gap: at.reduce((s, p) => s + p.gap, 0) / at.length, pairs: at.length };
    }),
  } : null;

  return {
    frontier: front, frontierRuns, budgets: ranges, headToHead, iso, controls,
    statements: statements(front, frontierRuns, ranges, headToHead, iso, controls, baseline ?? null),
  };
}

function describeBest(r: BudgetRange, cats: readonly Category[] = COMPETITORS): string {
  return `at ${fmtBytes(r.to)}, ` + cats.map((c) => `${CATEGORY_LABEL[c]} ${r.best[c] ? `${pct(r.best[c]!.accuracy)} (${r.best[c]!.label})` : '— (no file that small)'}`).join(', ');
}

function statements(front: StudyPoint[], runs: Conclusions['frontierRuns'], ranges: BudgetRange[], h2h: BudgetRange[], iso: IsoAccuracy[],
  controls: Conclusions['controls'], baseline: StudyPoint | null): Conclusions['statements'] {
  const out: Conclusions['statements'] = { sparsity: [], quantization: [], combined: [], frontier: [], controls: [] };
  const key: Record<Category, keyof Conclusions['statements'] | null> = {
    sparsity: 'sparsity', quantization: 'quantization', combined: 'combined', baseline: null, control: null, neat: null,
  };
  for (const r of ranges) {
    const span = r.from === r.to ? `at ${fmtBytes(r.to)}` : `for budgets from ${fmtBytes(r.from)} to ${fmtBytes(r.to)}`;
    if (r.winner === 'tie') {
      out.frontier.push(`No single technique wins ${span}: ${describeBest(r)}.`);
      continue;
    }
    const alone = COMPETITORS.filter((c) => c !== r.winner && r.best[c]).length === 0;
    const text = alone
      ? `${CATEGORY_LABEL[r.winner]} is the only option ${span} (smallest files of the other kinds are larger): ${describeBest(r)}.`
      : `${CATEGORY_LABEL[r.winner]} gives the best accuracy ${span}: ${describeBest(r)}.`;
    out[key[r.winner]!]!.push(text);
  }
  const pair: Category[] = ['sparsity', 'quantization'];
  for (const r of h2h) {
    if (r.winner === 'tie') continue;
    const span = r.from === r.to ? `at ${fmtBytes(r.to)}` : `for budgets from ${fmtBytes(r.from)} to ${fmtBytes(r.to)}`;
    const other = pair.find((c) => c !== r.winner)!;
    const verb = r.best[other] ? 'beats' : 'is the only one of the two that fits';
    out[key[r.winner]!]!.push(`Each alone: ${CATEGORY_LABEL[r.winner]} ${verb}${r.best[other] ? ` ${CATEGORY_LABEL[other]}` : ''} ${span} (${describeBest(r, pair)}).`);
  }
  for (const i of iso) {
    if (!i.winner) { out.frontier.push(`No sparse or quantized file stays within ${pts(i.tolerance)} of dense fp32 (${pct(i.target + i.tolerance)}).`); continue; }
    const w = i.smallest[i.winner]!;
    const others = COMPETITORS.filter((c) => c !== i.winner).map((c) => `${CATEGORY_LABEL[c]} ${i.smallest[c] ? `${fmtBytes(i.smallest[c]!.bytes)} (${i.smallest[c]!.label})` : 'none'}`).join(', ');
    const ratio = baseline ? ` = ${(baseline.bytes / w.bytes).toFixed(1)}× smaller than dense fp32` : '';
    out[key[i.winner]!]!.push(`Within ${pts(i.tolerance)} of dense fp32 accuracy (≥ ${pct(i.target)}), the smallest file is ${CATEGORY_LABEL[i.winner]}: ${w.label}, ${fmtBytes(w.bytes)}${ratio}, ${pct(w.testAccuracy)}; smallest of the others: ${others}.`);
  }
  for (const r of runs) {
    const span = r.from === r.to ? fmtBytes(r.from) : `${fmtBytes(r.from)}–${fmtBytes(r.to)}`;
    out.frontier.push(`Pareto frontier ${span}: ${CATEGORY_LABEL[r.category]} (${r.labels.join(', ')}).`);
  }
  const counts = new Map<Category, number>();
  for (const p of front) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  out.frontier.push(`Frontier points by kind: ${[...counts].map(([c, n]) => `${CATEGORY_LABEL[c]} ${n}`).join(', ')} (of ${front.length}).`);
  if (controls) {
    out.controls.push(`Tickets beat their random-pruned controls in ${controls.ticketWins} of ${controls.pairs} (level, format) pairs, by ${pts(controls.meanGap)} on average; per level: ${controls.byLevel.map((l) => `L${l.level} (${pct(l.density)} dense) ${l.gap >= 0 ? '+' : ''}${pts(l.gap)}`).join(', ')}.`);
  }
  return out;
}
