// The report of a lottery run, with the LTH paper's charts for the user's own setup:
//   accuracy.svg      test accuracy at early stop against % weights remaining (log x, reversed),
//                     ticket vs controls, mean ± std bands over replicates;
//   early-stop.svg    early-stop iteration against % weights remaining;
//   training.svg      ticket test accuracy over training at chosen levels;
//   wall-time.svg     seconds per training against % weights remaining (sparse execution pays off);
// plus report.md and report.html that embed them, in <store>/<runId>/report/.
import { join } from 'node:path';
import type { ExperimentStore } from '../../store/db.js';
import { lotteryJobKey } from '../../store/db.js';
import { runDir } from '../../store/layout.js';
import { lineChart, type LineSeries } from '../../report/svg-chart.js';
import { figure, paragraph, table, writeReport, type ReportDoc } from '../../report/document.js';
import type { Branch, LotteryHparams } from '../../lottery/hparams.js';
import type { JobResult } from '../../lottery/runner.js';
import { meanStd } from '../../report/stats.js';
import { summarize, type LevelSummary, type Stat } from '../../lottery/summary.js';

const pctLabel = (v: number): string => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)) + '%';

function seriesBy(summary: LevelSummary[], branch: Branch, pick: (s: LevelSummary) => Stat, scale: number): LineSeries {
  const rows = summary.filter((s) => s.branch === branch || (s.level === 0 && s.branch === 'ticket'));
  return {
    name: branch === 'ticket' ? 'winning ticket' : branch,
    dashed: branch !== 'ticket',
    points: rows.map((s) => {
      const v = pick(s);
      return { x: 100 * s.density.mean, y: scale * v.mean, ...(v.n > 1 ? { yLow: scale * (v.mean - v.std), yHigh: scale * (v.mean + v.std) } : {}) };
    }),
  };
}

/** Levels to show over training: dense, the last, and a few in between (about log-spaced). */
function chosenLevels(levels: number[]): number[] {
  if (levels.length <= 5) return levels;
  const last = levels[levels.length - 1]!;
  return [...new Set([0, Math.round(last / 4), Math.round(last / 2), Math.round((3 * last) / 4), last])];
}

export function lotteryCharts(h: LotteryHparams, results: JobResult[], store: ExperimentStore, runId: string): Record<string, string> {
  const summary = summarize(results);
  const branches: Branch[] = ['ticket', ...h.controls];
  const xAxis = { label: 'weights remaining (%)', scale: 'log' as const, reversed: true, ticks: 'data' as const, format: pctLabel };
  const accuracy = lineChart({
    title: `Test accuracy at early stop — ${h.model}`, x: xAxis, y: { label: 'test accuracy (%)' },
    series: branches.map((b) => seriesBy(summary, b, (s) => s.earlyStopTestAccuracy, 100)),
  });
  const earlyStop = lineChart({
    title: 'Early-stop iteration (minimum validation loss)', x: xAxis, y: { label: 'iteration' },
    series: branches.map((b) => seriesBy(summary, b, (s) => s.earlyStopIteration, 1)),
  });
  const wall = lineChart({
    title: 'Training wall time per level (sparse kernels below the density threshold)', x: xAxis, y: { label: 'seconds in training steps' },
    series: branches.map((b) => seriesBy(summary, b, (s) => s.stepSeconds, 1)),
  });
  const levels = [...new Set(results.map((r) => r.level))].sort((a, b) => a - b);
  const training = lineChart({
    title: 'Winning-ticket test accuracy during training', x: { label: 'iteration' }, y: { label: 'test accuracy (%)' },
    series: chosenLevels(levels).map((level) => {
      const density = summary.find((s) => s.level === level && s.branch === 'ticket')!.density.mean;
      const perRep = results.filter((r) => r.level === level && r.branch === 'ticket')
        .map((r) => store.getMetrics(runId, lotteryJobKey(r.replicate, level, 'ticket')));
      const iterations = perRep[0]?.map((m) => m.iteration) ?? [];
      return {
        name: `${pctLabel(100 * density)} weights`,
        points: iterations.map((it, i) => {
          const v = meanStd(perRep.map((rows) => 100 * (rows[i]?.['testAccuracy'] ?? NaN)));
          return { x: it, y: v.mean, ...(v.n > 1 ? { yLow: v.mean - v.std, yHigh: v.mean + v.std } : {}) };
        }),
      };
    }),
  });
  return { 'accuracy.svg': accuracy, 'early-stop.svg': earlyStop, 'training.svg': training, 'wall-time.svg': wall };
}

/** "(mean ± std over N replicates)" only when there is a spread to show. */
export function spreadNote(replicates: number): string {
  return replicates > 1 ? `mean ± std over ${replicates} replicates` : 'one replicate, so no spread is shown (--replicates N adds mean ± std bands)';
}

/** The early-stop caption, stating what this run's data show rather than what the paper found. */
export function earlyStopCaption(summary: LevelSummary[], replicates: number): string {
  const ticket = summary.filter((s) => s.branch === 'ticket' && Number.isFinite(s.earlyStopIteration.mean)).sort((a, b) => b.density.mean - a.density.mean);
  const head = `Iteration of minimum validation loss against the fraction of weights remaining (${spreadNote(replicates)}).`;
  const dense = ticket.find((s) => s.level === 0);
  if (!dense || ticket.length < 2) return head;
  const it = (s: LevelSummary) => Math.round(s.earlyStopIteration.mean);
  const pct = (s: LevelSummary) => pctLabel(100 * s.density.mean);
  const sparse = ticket.filter((s) => s.level !== 0);
  const fastest = sparse.reduce((a, b) => (b.earlyStopIteration.mean < a.earlyStopIteration.mean ? b : a));
  const last = sparse[sparse.length - 1]!;
  const verdict = fastest.earlyStopIteration.mean < dense.earlyStopIteration.mean
    ? `The ticket stopped earliest at ${pct(fastest)} of the weights (iteration ${it(fastest)}, dense ${it(dense)})`
    : `No ticket stopped earlier than the dense network (iteration ${it(dense)}; earliest ticket ${it(fastest)} at ${pct(fastest)})`;
  return `${head} ${verdict}; at the sparsest level, ${pct(last)}, iteration ${it(last)}.`;
}

export function writeLotteryReport(root: string, runId: string, h: LotteryHparams, dataset: string, results: JobResult[], store: ExperimentStore): string[] {
  const charts = lotteryCharts(h, results, store, runId);
  const summary = summarize(results);
  const fmt = (s: Stat, scale = 100, d = 2): string => !Number.isFinite(s.mean) ? '—' : s.n > 1 ? `${(scale * s.mean).toFixed(d)} ± ${(scale * s.std).toFixed(d)}` : (scale * s.mean).toFixed(d);
  const levels = [...new Set(summary.map((s) => s.level))];
  const row = (level: number): string[] => {
    const t = summary.find((s) => s.level === level && s.branch === 'ticket')!;
    return [String(level), pctLabel(100 * t.density.mean), fmt(t.earlyStopTestAccuracy), fmt(t.earlyStopIteration, 1, 0), fmt(t.stepSeconds, 1, 2),
      ...h.controls.map((c) => { const s = summary.find((x) => x.level === level && x.branch === c); return s ? fmt(s.earlyStopTestAccuracy) : '—'; })];
  };
  const dense = summary.find((s) => s.level === 0 && s.branch === 'ticket')!;
  const doc: ReportDoc = {
    title: `Lottery tickets: ${h.model} on ${dataset}`,
    blocks: [
      paragraph(`Run ${runId}: ${h.replicates} replicate(s), ${h.levels} pruning levels (${h.strategy}, fc ${h.rateFc}, conv ${h.rateConv}, output ${h.rateOutput} per level${h.oneShot ? `, one-shot to ${h.oneShot}` : ''}), ${h.optimizer} lr ${h.lr}, batch ${h.batchSize}, ${h.iterations} iterations per level, rewind to iteration ${h.rewindIter}. Test accuracy is read at the early-stop iteration (minimum validation loss). Dense accuracy: ${fmt(dense.earlyStopTestAccuracy)}%.`),
      table(['level', 'weights', 'ticket acc %', 'early-stop it', 'step s', ...h.controls.map((c) => `${c} acc %`)], levels.map(row)),
      figure('accuracy', charts['accuracy.svg']!, `Test accuracy at early stop against the fraction of weights remaining (${spreadNote(h.replicates)}).`),
      figure('early-stop', charts['early-stop.svg']!, earlyStopCaption(summary, h.replicates)),
      figure('training', charts['training.svg']!, `Test accuracy over training for the ticket at selected levels${h.replicates > 1 ? ` (mean over ${h.replicates} replicates)` : ''}.`),
      figure('wall-time', charts['wall-time.svg']!, 'Seconds spent in training steps per level: below the density threshold layers run on the sparse kernels.'),
    ],
  };
  return writeReport(join(runDir(root, runId), 'report'), 'report', doc);
}
