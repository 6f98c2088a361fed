// The per-level table of a lottery run: weights remaining, and for the ticket and each control the test
// accuracy at early stop (mean ± std over replicates), plus the ticket's early-stop iteration and the
// seconds spent in training steps (where sparse execution shows). Rows are emitted as levels finish.
import type { Branch } from '../../lottery/hparams.js';
import type { LevelSummary, Stat } from '../../lottery/summary.js';
import { formatTable } from '../../report/table.js';

const pm = (s: Stat, scale = 1, digits = 2): string =>
  !Number.isFinite(s.mean) ? '—' : s.n > 1 ? `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}` : (s.mean * scale).toFixed(digits);

export function levelHeader(controls: readonly Branch[]): string[] {
  return ['level', 'weights %', 'ticket acc %', 'early-stop it', 'step s', ...controls.map((c) => `${c} acc %`)];
}

export function levelRow(summary: readonly LevelSummary[], level: number, controls: readonly Branch[]): string[] {
  const get = (branch: Branch): LevelSummary | undefined => summary.find((s) => s.level === level && s.branch === branch);
  const t = get('ticket')!;
  return [String(level), (100 * t.density.mean).toFixed(1), pm(t.earlyStopTestAccuracy, 100), pm(t.earlyStopIteration, 1, 0), pm(t.stepSeconds, 1, 2),
    ...controls.map((c) => { const s = get(c); return s ? pm(s.earlyStopTestAccuracy, 100) : '—'; })];
}

export function levelTable(summary: readonly LevelSummary[], controls: readonly Branch[]): string {
  const levels = [...new Set(summary.map((s) => s.level))].sort((a, b) => a - b);
  return formatTable(levelHeader(controls).map((h) => ({ header: h, align: 'right' as const })), levels.map((l) => levelRow(summary, l, controls)));
}
