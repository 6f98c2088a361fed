// `winnow sparse-study`: every sparse-from-the-start method at every density with replicates, against lottery
// tickets found by iterative magnitude pruning (IMP) at the same densities. The tickets come from one lottery
// experiment, launched nested in the same store (so it resumes and is shared like any lottery run): layer-wise
// IMP, reset to θ0, with the per-level rate solved so that levels land on the study's densities (imp.ts). The
// Frankle et al. 2021 ablations (shuffle each layer's mask, reinitialize, invert the scores) apply to every
// method, tickets included; a shuffled ticket is the random-pruned control. Writes a chart of test accuracy
// against density per method and a table of training cost (multiply-adds of steps and mask updates, seconds in
// steps, mask updates and scoring).
import { join } from 'node:path';
import { impLadder, type ImpLadder } from './imp.js';
import { loadModelState } from '../../lottery/state-io.js';
import { lotteryJobKey } from '../../store/db.js';
import { jobDir } from '../../store/layout.js';
import type { LotteryHparams } from '../../lottery/hparams.js';
import { buildModel } from '../../models/build.js';
import { orderByMagnitude } from '../../prune/magnitude.js';
import type { JobResult as LotteryJob } from '../../lottery/runner.js';
import { figure, paragraph, table, writeReport, type ReportDoc } from '../../report/document.js';
import { meanStd, type MeanStd } from '../../report/stats.js';
import { lineChart, type LineSeries } from '../../report/svg-chart.js';
import { formatTable } from '../../report/table.js';
import { METHODS, stepMacs, type Ablation, type Method, type SparseTrainSummary } from '../../sparsetrain/run.js';
import { runDir } from '../../store/layout.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { intFlag } from '../../util/flags.js';
import type { Experiment, JobEnv, JobSpec } from '../experiment.js';
import { launch, runIdentity } from '../launch.js';
import { lotteryExperiment, lotteryResult } from '../lottery/index.js';
import { defaultsOf, resolveHparams } from '../params.js';
import { CHECKPOINT_FILE, SPARSE_TRAIN_PARAMS, checkSparseResult, openSparseContext, resolveSparseTrain, runReplicate, type SparseTrainContext, type SparseTrainHparams } from '../sparse-train/index.js';

export interface SparseStudyHparams extends Omit<SparseTrainHparams, 'method' | 'density' | 'ablation'> {
  methods: Method[]; densities: number[]; ablations: Ablation[]; tickets: boolean; out: string;
}

type Spec = JobSpec & ({ part: 'method'; method: Method; ablation: Ablation; density: number; replicate: number } | { part: 'lottery' }
  | { part: 'ticket'; ablation: Ablation; density: number; replicate: number });
/** A ticket job: the ablated (or not) IMP ticket retrained here, with the cost of the search that found its mask. */
export interface TicketSummary extends SparseTrainSummary { ticket: { level: number; lotteryRunId: string; searchMacs: number; searchSeconds: number; lotteryAccuracy: number | null } }
type StudyJob = SparseTrainSummary | TicketSummary | { lotteryRunId: string; results: LotteryJob[] };

export interface StudyRow {
  series: string; density: number; actualDensity: MeanStd; accuracy: MeanStd; macs: MeanStd; maskUpdateMacs: MeanStd;
  stepSeconds: MeanStd; maskUpdateSeconds: MeanStd; scoringSeconds: MeanStd; n: number; macsApprox: boolean;
}
export interface SparseStudySummary { dataset: string; rows: StudyRow[]; denseStepMacs: number; lotteryRuns: string[] }

function listOf<T>(flag: string, parse: (s: string) => T): (v: string) => T[] {
  return (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list, got '${v}'`);
    return [...new Set(items.map(parse))];
  };
}
const choice = <T extends string>(flag: string, choices: readonly T[]) => (s: string): T => {
  if (!(choices as readonly string[]).includes(s)) throw new UserError(`${flag}: unknown value '${s}' (expected ${choices.join(', ')})`);
  return s as T;
};
const densityItem = (s: string): number => {
  const pctForm = s.endsWith('%');
  const n = Number(pctForm ? s.slice(0, -1) : s) / (pctForm ? 100 : 1);
  if (!(n > 0 && n <= 1) || s.trim() === '') throw new UserError(`--densities: each density must be in (0, 1] (or a percentage like 5%), got '${s}'`);
  return n;
};

const { method: _m, density: _d, ablation: _a, ...shared } = SPARSE_TRAIN_PARAMS;

const seriesName = (m: Method | 'imp', a: Ablation): string => (a === 'none' ? m : `${m}/${a}`);
const pctLabel = (v: number): string => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)) + '%';

export const sparseStudyExperiment: Experiment<SparseStudyHparams, Spec, StudyJob, SparseTrainContext, SparseStudySummary> = {
  name: 'sparse_study',
  description: 'every sparse-from-the-start method at several densities with replicates, against lottery tickets and random-pruned controls: accuracy-vs-density chart and training-cost table',
  params: {
    ...shared,
    replicates: { ...shared.replicates, default: 2 },
    methods: { flag: '--methods <list>', help: `comma-separated: ${METHODS.join(', ')}`, parse: listOf('--methods', choice('--methods', METHODS)), default: [...METHODS] },
    densities: { flag: '--densities <list>', help: 'comma-separated densities, fractions or percentages', parse: listOf('--densities', densityItem), default: [0.2, 0.1, 0.05, 0.02, 0.01] },
    ablations: { flag: '--ablations <list>', help: 'ablations run besides each method: shuffle, reinit (all methods), invert (snip/grasp/synflow); none', parse: (v) => v === 'none' ? ['none'] : ['none', ...listOf('--ablations', choice('--ablations', ['shuffle', 'reinit', 'invert'] as const))(v)], default: ['none'] },
    tickets: { flag: '--no-tickets', help: 'skip the IMP lottery tickets and their ablations', default: true },
    out: { flag: '--out <dir>', help: 'output directory of the report (default: <store>/<run id>/report)', parse: String, default: '' },
  },
  outsideIdentity: ['out'],
  resolve(h, given) {
    const probe = { ...h, method: 'static' as Method, density: h.densities[0]!, ablation: 'none' as Ablation };
    resolveSparseTrain(probe, given as ReadonlySet<keyof SparseTrainHparams>);
    return h;
  },
  describe: (h) => `${h.methods.length} methods × ${h.densities.length} densities × ${h.replicates} replicate(s) on ${h.model}, ${h.dataset}${h.tickets ? ', with IMP lottery tickets' : ''}`,
  plan(h) {
    const jobs: Spec[] = [];
    if (h.tickets) jobs.push({ key: 'lottery', label: 'lottery tickets (IMP)', part: 'lottery' });
    for (const d of h.densities) {
      for (const method of h.methods) {
        for (const ablation of h.ablations) {
          if (ablation === 'invert' && !['snip', 'grasp', 'synflow'].includes(method)) continue; // a random mask has no scores to invert
          for (let r = 0; r < h.replicates; r++) {
            jobs.push({ key: `${method}/${ablation}/d_${d}/replicate_${r}`, label: `${seriesName(method, ablation)} ${pctLabel(100 * d)} rep ${r}`, part: 'method', method, ablation, density: d, replicate: r });
          }
        }
      }
      if (h.tickets && d < 1) {
        for (const ablation of h.ablations) {
          for (let r = 0; r < h.replicates; r++) {
            jobs.push({ key: `imp/${ablation}/d_${d}/replicate_${r}`, label: `${seriesName('imp', ablation)} ${pctLabel(100 * d)} rep ${r}`, part: 'ticket', ablation, density: d, replicate: r, after: ['lottery'] });
          }
        }
      }
    }
    return jobs;
  },
  // Cells are independent: they run on --workers threads. A lottery job launches its run from its thread; the
  // store (SQLite, WAL) takes that writer beside the main thread's.
  parallel: true,
  nestedRuns: true,
  open: (h, env) => openSparseContext(h, env),
  async runJob(ctx, spec, env) {
    const h = env.store.getRun(env.runId)!.hparams as unknown as SparseStudyHparams;
    if (spec.part === 'method') {
      const out = runReplicate(ctx, { ...h, method: spec.method, density: spec.density, ablation: spec.ablation }, spec.replicate, (d, t) => env.step(d, t),
        { checkpoint: { path: join(env.dir, CHECKPOINT_FILE), seconds: env.checkpointSeconds } });
      for (const w of out.result.warnings) env.emit({ type: 'warning', message: `${spec.label}: ${w}` });
      return out;
    }
    const { lh, ladder } = lotteryPlan(ctx, h);
    if (spec.part === 'ticket') return { result: runTicket(ctx, h, lh, ladder, spec, env) };
    // The nested run's per-level table rows would interleave with this study's output: drop them.
    const l = await launch(lotteryExperiment, lh, { root: env.root, emit: (e) => { if (e.type !== 'row') env.emit(e); }, backend: env.backend, noReport: true, checkpointSeconds: env.checkpointSeconds });
    return { result: { lotteryRunId: l.runId, results: l.summary.results } };
  },
  checkResult(v, where) {
    const o = v as Record<string, unknown> | null;
    if (o !== null && typeof o === 'object' && 'lotteryRunId' in o) {
      if (typeof o['lotteryRunId'] !== 'string' || !Array.isArray(o['results'])) throw new UserError(`${where}: expected {lotteryRunId, results}`);
      return { lotteryRunId: o['lotteryRunId'], results: (o['results'] as unknown[]).map((r, i) => lotteryResult(r, `${where} results[${i}]`)) };
    }
    const r = checkSparseResult(v, where);
    if (o !== null && 'ticket' in o && (typeof o['ticket'] !== 'object' || o['ticket'] === null)) throw new UserError(`${where}: field 'ticket' must be an object`);
    return r;
  },
  summarize(ctx, h, done) {
    const model = buildModel(h.model, ctx.data.shape, ctx.data.classes, new Rng(h.seed));
    const denseStepMacs = stepMacs(model, h.batchSize);
    const groups = new Map<string, { series: string; density: number; items: Array<{ acc: number; actual: number; macs: number; um: number; steps: number; us: number; sc: number }>; approx: boolean }>();
    const add = (series: string, density: number, item: { acc: number; actual: number; macs: number; um: number; steps: number; us: number; sc: number }, approx = false): void => {
      const k = `${series}\u0000${density}`;
      if (!groups.has(k)) groups.set(k, { series, density, items: [], approx });
      groups.get(k)!.items.push(item);
    };
    const lotteryRuns: string[] = [];
    for (const { spec, result } of done) {
      if (spec.part === 'method' || spec.part === 'ticket') {
        const r = result as SparseTrainSummary | TicketSummary;
        const search = 'ticket' in r ? r.ticket : { searchMacs: 0, searchSeconds: 0 };
        add(seriesName(spec.part === 'ticket' ? 'imp' : spec.method, spec.ablation), spec.density, {
          acc: r.earlyStop.testAccuracy, actual: r.density, macs: r.macs.steps + r.macs.maskUpdates + r.macs.scoring + search.searchMacs, um: r.macs.maskUpdates,
          steps: r.seconds.steps + search.searchSeconds, us: r.seconds.maskUpdates, sc: r.seconds.scoring,
        }, spec.part === 'ticket');
      } else {
        lotteryRuns.push((result as { lotteryRunId: string }).lotteryRunId);
      }
    }
    const rows: StudyRow[] = [...groups.values()].map((g) => ({
      series: g.series, density: g.density, n: g.items.length, macsApprox: g.approx,
      actualDensity: meanStd(g.items.map((i) => i.actual)), accuracy: meanStd(g.items.map((i) => i.acc)), macs: meanStd(g.items.map((i) => i.macs)),
      maskUpdateMacs: meanStd(g.items.map((i) => i.um)), stepSeconds: meanStd(g.items.map((i) => i.steps)),
      maskUpdateSeconds: meanStd(g.items.map((i) => i.us)), scoringSeconds: meanStd(g.items.map((i) => i.sc)),
    }));
    rows.sort((a, b) => a.series.localeCompare(b.series) || b.density - a.density);
    return { dataset: ctx.data.name, rows, denseStepMacs, lotteryRuns };
  },
  show(h, done) {
    // The terminal table of finished method jobs (tickets are in the report).
    const rows = done.filter((d) => d.spec.part === 'method').map((d) => d.result as SparseTrainSummary);
    return formatTable(['method', 'density', 'test acc %'], rows.map((r) => [seriesName(r.method, r.ablation), pctLabel(100 * r.targetDensity), (100 * r.earlyStop.testAccuracy).toFixed(2)]));
  },
  report: (h, s, env) => writeStudyReport(h.out || join(runDir(env.root, env.runId), 'report'), h, s),
};

/** The study's IMP lottery run: its model, data, optimizer and length, with the rate solved for the densities. */
function lotteryPlan(ctx: SparseTrainContext, h: SparseStudyHparams): { lh: LotteryHparams; ladder: ImpLadder } {
  const model = buildModel(h.model, ctx.data.shape, ctx.data.classes, new Rng(h.seed));
  const wl = model.weightLayers();
  const ladder = impLadder(wl.map((l, i) => ({ size: l.weights.rows * l.weights.cols, isOutput: i === wl.length - 1 })), h.densities);
  const base = defaultsOf(lotteryExperiment.params);
  const iterations = h.epochs ? h.epochs * Math.floor(ctx.data.train.count / h.batchSize) : h.iterations;
  const lh = resolveHparams(lotteryExperiment, {
    model: h.model, dataset: h.dataset, validation: h.validation, init: h.init, optimizer: h.optimizer, lr: h.lr || base.lr, momentum: h.momentum,
    weightDecay: h.weightDecay, batchSize: h.batchSize, iterations, evalEvery: h.evalEvery || Math.max(1, Math.floor(iterations / 10)),
    levels: ladder.levels, strategy: 'layerwise', rateFc: ladder.rate, rateConv: ladder.rate, rateOutput: ladder.outputRate,
    controls: [], replicates: h.replicates, seed: h.seed, sparseThreshold: h.sparseThreshold,
  });
  return { lh, ladder };
}

/**
 * One ticket job: replicate r's IMP mask at the level of `density`, with θ0, retrained by the sparse trainer
 * under the ablation. `invert` keeps, per layer, as many weights as the ticket but the smallest |w| of the
 * trained dense network (level 0), IMP's score inverted; `shuffle` (the random-pruned control) and `reinit` act
 * as for every method.
 */
function runTicket(ctx: SparseTrainContext, h: SparseStudyHparams, lh: LotteryHparams, ladder: ImpLadder,
  spec: { ablation: Ablation; density: number; replicate: number }, env: JobEnv): TicketSummary {
  const level = ladder.levelOf.get(spec.density)!;
  const lotteryRunId = runIdentity(lotteryExperiment as never, lh).id;
  const file = (lv: number, name: string): string => join(jobDir(env.root, lotteryRunId, lotteryJobKey(spec.replicate, lv, 'ticket')), name);
  const theta0 = loadModelState(file(0, 'weights-init.wt'));
  const names = Object.keys(theta0);
  let masks = (() => { const m = loadModelState(file(level, 'mask.wt')); return names.map((n) => m[n]!.mask); })();
  if (spec.ablation === 'invert') {
    const trained = loadModelState(file(0, 'weights-final.wt'));
    masks = names.map((n, i) => {
      const w = trained[n]!.weight, keep = masks[i]!.reduce((a, b) => a + b, 0);
      const order = orderByMagnitude(w);
      const m = new Uint8Array(w.length);
      for (let k = 0; k < keep; k++) m[order[k]!] = 1;
      return m;
    });
  }
  const out = runReplicate(ctx, { ...h, method: 'static', density: spec.density, ablation: spec.ablation === 'invert' ? 'none' : spec.ablation }, spec.replicate, (d, t) => env.step(d, t), {
    start: { masks, weights: names.map((n) => theta0[n]!.weight), biases: names.map((n) => theta0[n]!.bias) },
    checkpoint: { path: join(env.dir, CHECKPOINT_FILE), seconds: env.checkpointSeconds },
  });
  // The search: the dense training and the IMP levels before this one (lottery rows: density × a dense step).
  const lottery = env.store.listJobs(lotteryRunId).filter((j) => j.status === 'done' && j.result !== null)
    .map((j) => lotteryResult(j.result, `lottery run ${lotteryRunId} job ${j.key}`)).filter((r) => r.replicate === spec.replicate && r.branch === 'ticket');
  const denseStep = stepMacs(buildModel(h.model, ctx.data.shape, ctx.data.classes, new Rng(h.seed)), h.batchSize);
  const before = lottery.filter((r) => r.level < level);
  const mine = lottery.find((r) => r.level === level);
  return {
    ...out.result, method: 'static',
    ticket: {
      level, lotteryRunId, searchMacs: before.reduce((s, r) => s + denseStep * r.density * r.iterations, 0),
      searchSeconds: before.reduce((s, r) => s + r.stepSeconds, 0), lotteryAccuracy: mine ? mine.earlyStopTestAccuracy : null,
    },
  };
}

const fmtAcc = (s: MeanStd): string => !Number.isFinite(s.mean) ? '—' : s.n > 1 ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : (100 * s.mean).toFixed(2);

/** The study as terminal lines: accuracy (mean ± std) per series × density, then the cost table. */
export function sparseStudyText(s: SparseStudySummary): string {
  const densities = [...new Set(s.rows.map((r) => r.density))].sort((a, b) => b - a);
  const series = [...new Set(s.rows.map((r) => r.series))];
  const acc = formatTable(['test acc % (early stop)', ...densities.map((d) => pctLabel(100 * d))],
    series.map((name) => [name, ...densities.map((d) => { const r = s.rows.find((x) => x.series === name && x.density === d); return r ? fmtAcc(r.accuracy) : '—'; })]));
  return [acc, '', costTable(s)].join('\n');
}

function costRows(s: SparseStudySummary): string[][] {
  return s.rows.map((r) => [r.series, pctLabel(100 * r.density), pctLabel(100 * r.actualDensity.mean), fmtAcc(r.accuracy),
    (r.macsApprox ? '≈' : '') + (r.macs.mean / 1e9).toFixed(3), (r.maskUpdateMacs.mean / 1e9).toFixed(3), r.stepSeconds.mean.toFixed(2), r.maskUpdateSeconds.mean.toFixed(3), r.scoringSeconds.mean.toFixed(2)]);
}
const COST_COLUMNS = ['series', 'target', 'density', 'test acc %', 'GMACs total', 'GMACs mask updates', 'step s', 'mask update s', 'scoring s'];

function costTable(s: SparseStudySummary): string { return formatTable(COST_COLUMNS, costRows(s)); }

export function writeStudyReport(dir: string, h: SparseStudyHparams, s: SparseStudySummary): string[] {
  const series = [...new Set(s.rows.map((r) => r.series))];
  const lines: LineSeries[] = series.map((name) => ({
    name, dashed: name.includes('/'),
    points: s.rows.filter((r) => r.series === name).sort((a, b) => b.density - a.density).map((r) => ({
      x: 100 * r.actualDensity.mean, y: 100 * r.accuracy.mean, ...(r.accuracy.n > 1 ? { yLow: 100 * (r.accuracy.mean - r.accuracy.std), yHigh: 100 * (r.accuracy.mean + r.accuracy.std) } : {}),
    })),
  }));
  const chart = lineChart({
    title: `Test accuracy at early stop against density — ${h.model} on ${s.dataset}`,
    x: { label: 'weights kept (%)', scale: 'log', reversed: true, ticks: 'data', format: pctLabel }, y: { label: 'test accuracy (%)' }, series: lines, legend: 'right',
  });
  const densities = [...new Set(s.rows.map((r) => r.density))].sort((a, b) => b - a);
  const doc: ReportDoc = {
    title: `Sparse from the start: ${h.model} on ${s.dataset}`,
    blocks: [
      paragraph(`${h.replicates} replicate(s) per cell (seeds ${h.seed}…${h.seed + h.replicates - 1}), ${h.optimizer} lr ${h.lr || 'default'}, batch ${h.batchSize}, ${h.epochs ? `${h.epochs} epochs` : `${h.iterations} iterations`}; static/SET/RigL budgets ${h.distribution}; SNIP/GraSP/SynFlow global. Test accuracy at the early-stop iteration (minimum validation loss)${h.replicates > 1 ? ', mean ± std' : ' (one replicate: no spread)'}.${s.lotteryRuns.length ? ` imp: lottery tickets by iterative magnitude pruning, layer-wise, reset to θ0, the per-level rate solved so that levels land on the densities (lottery run ${s.lotteryRuns.join(', ')}).` : ''}${h.ablations.some((a) => a !== 'none') ? " Ablations (Frankle et al. 2021): /shuffle re-draws each layer's mask with the same count (for imp, the random-pruned control), /reinit trains fresh initial weights on the mask, /invert keeps the lowest scores (for imp, the smallest trained dense weights, with the ticket's per-layer counts)." : ''}`),
      table(['test acc %', ...densities.map((d) => pctLabel(100 * d))], series.map((name) => [name, ...densities.map((d) => { const r = s.rows.find((x) => x.series === name && x.density === d); return r ? fmtAcc(r.accuracy) : null; })])),
      figure('accuracy', chart, `Test accuracy at early stop against the fraction of weights kept (log scale)${h.replicates > 1 ? `, mean ± std over ${h.replicates} replicates` : ', one replicate'}.`),
      table(COST_COLUMNS, costRows(s), { caption: `Training cost per run (means). GMACs: multiply-adds of every training step at the masks of that step (forward, input and weight gradients at kept weights), of RigL's dense gradients at its update steps, and of scoring the initial mask; dense training is ${(s.denseStepMacs / 1e6).toFixed(2)} MMACs per step. ≈: imp rows add the search, estimating each IMP level's steps as density × a dense step (the dense training and the levels before the ticket's). Seconds: training steps (mask updates included), mask updates alone, initial-mask scoring.` }),
    ],
  };
  return writeReport(dir, 'report', doc);
}
