// The compression study (`winnow compare`): the dense network in every number format, lottery tickets ×
// formats, random-pruned controls and NEAT genomes, as accuracy against bytes. Jobs: the lottery run it
// measures (a lottery experiment of its own in the same store, trained or resumed there unless
// --lottery-run names one), then the points, one independent job per number format and one for NEAT's
// genomes (they run on --workers threads); summarize merges them in order and derives the conclusions,
// report writes them.
import { getBackend } from '../../backend/index.js';
import { deriveConclusions } from '../../compare/conclusions.js';
import type { StudyPoint } from '../../compare/points.js';
import { terminalTable, writeStudy } from '../../compare/report.js';
import { STUDY_DEFAULTS, measureStudy, orderPoints, studyLotteryHparams, studyParts, type StudyConfig, type StudyResult } from '../../compare/study.js';
import { FORMAT_NAMES, type FormatName } from '../../quant/formats.js';
import { runDir } from '../../store/layout.js';
import { UserError } from '../../util/errors.js';
import { intFlag, numberFlag } from '../../util/flags.js';
import type { Experiment, JobSpec } from '../experiment.js';
import { launch } from '../launch.js';
import { defaultsOf, resolveHparams } from '../params.js';
import { lotteryExperiment } from '../lottery/index.js';
import { dirname, join } from 'node:path';
import type { Gpt } from '../../models/gpt.js';
import type { LmTrainSummary } from '../../train/lm.js';
import { lmStudyResult, lmStudyText, writeLmStudy, type LmStudyResult } from '../../llmcompress/study-report.js';
import { LM_STUDY_DEFAULTS, measureLmStudy, type LmPoint } from '../../llmcompress/study.js';
import { calibrationTokens, lmDataset } from '../../llmcompress/lm-compress.js';
import { PRUNE_METHODS, type PruneMethod } from '../../llmcompress/oneshot.js';
import { checkSparsity } from '../../llmcompress/pattern.js';
import { loadLm, saveLm } from '../../io/lm-io.js';
import { loadTextDataset } from '../../data/text.js';
import { trainLm } from '../../train/lm.js';
import { LM_DEFAULTS } from '../train/lm.js';
import { existsSync } from 'node:fs';
import { IMP_STRATEGIES, checkLevelSparsities, defaultRewindIteration, trainLmImpBranch, type ImpStrategy, type LmBranch } from '../../lottery/lm-imp.js';
import { LM_RIGL_DEFAULTS, trainLmRigL } from '../../sparsetrain/lm-rigl.js';
import type { LmTrainOptions } from '../../train/lm.js';
import type { TrainedVariant } from '../../llmcompress/study.js';
import { choiceFlag } from '../../util/flags.js';

export interface CompareHparams extends Omit<StudyConfig, 'store' | 'neatDir' | 'lotteryRun'> {
  /** language models: a trained winnow-lm file to study (else --model gpt:… is trained here) */
  lm: string;
  methods: PruneMethod[];
  sparsities: number[];
  evalTokens: number;
  calibrationSamples: number;
  /** language models: IMP tickets with rewinding and their controls at --sparsities */
  tickets: boolean;
  /** language models: RigL at --sparsities */
  rigl: boolean;
  /** IMP rewinds to this iteration of the dense training (-1: 5% of --iterations) */
  rewindIter: number;
  impStrategy: ImpStrategy;
  lotteryRun: string;
  neat: boolean;
  neatDir: string;
  out: string;
}

type CompareSpec = JobSpec & ({ step: 'lottery' | 'lm-train' | 'measure-lm' } | { step: 'measure'; part: FormatName | 'neat' }
  | { step: 'lm-imp'; sparsity: number; branch: LmBranch } | { step: 'lm-rigl'; sparsity: number });
/** A sparse LM trained here (IMP branch or RigL): its model file and training summary. */
type LmTrained = { lmFile: string; method: TrainedVariant['method']; sparsity: number; density: number; iterations: number; valLoss: number; stepSeconds: number };
type LmMeasured = { kind: 'lm'; spec: string; dataset: string; source: string; calibration: { sequences: number; tokens: number }; points: LmPoint[]; seconds: number };
type CompareJob = { lotteryRunId: string } | { lmFile: string } | LmTrained | LmMeasured | Omit<StudyResult, 'id' | 'seconds' | 'config'>;

/** The study is of a language model: --lm FILE or --model gpt:…. */
export function isLmStudy(h: Pick<CompareHparams, 'lm' | 'model'>): boolean { return h.lm !== '' || h.model.startsWith('gpt:'); }

function numberList(flag: string, check: (v: number) => number): (v: string) => number[] {
  return (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of numbers, got '${v}'`);
    return items.map((s) => { const n = Number(s); if (!Number.isFinite(n)) throw new UserError(`${flag}: '${s}' is not a number`); return check(n); });
  };
}
function methodList(v: string): PruneMethod[] {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const m of items) if (!(PRUNE_METHODS as readonly string[]).includes(m) || m === 'none') throw new UserError(`--methods: unknown method '${m}' (expected ${PRUNE_METHODS.filter((x) => x !== 'none').join(', ')})`);
  if (items.length === 0) throw new UserError('--methods: expected a comma-separated list of methods');
  return [...new Set(items)] as PruneMethod[];
}

function intList(flag: string): (v: string) => number[] {
  return (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of integers, got '${v}'`);
    return items.map((s) => intFlag(flag, 0, 200)(s));
  };
}

function formatList(flag: string): (v: string) => FormatName[] {
  return (v: string) => {
    if (v === 'all') return [...FORMAT_NAMES];
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of formats, got '${v}'`);
    for (const f of items) if (!(FORMAT_NAMES as readonly string[]).includes(f)) throw new UserError(`${flag}: unknown format '${f}' (expected ${FORMAT_NAMES.join(', ')} or all)`);
    return [...new Set(items)] as FormatName[];
  };
}

const d = STUDY_DEFAULTS;

function studyConfig(h: CompareHparams, root: string): StudyConfig {
  const { neat, out: _o, lm: _l, methods: _m, sparsities: _s, evalTokens: _e, calibrationSamples: _c, ...rest } = h;
  return { ...rest, lotteryRun: h.lotteryRun || null, store: root, neatDir: neat ? h.neatDir : null };
}

export const compareExperiment: Experiment<CompareHparams, CompareSpec, CompareJob, null, StudyResult> = {
  name: 'compare',
  description: 'the compression study: dense in every format, lottery tickets × formats, random-pruned controls, NEAT genomes; chart + report of accuracy vs bytes',
  params: {
    model: { flag: '--model <spec>', help: 'model spec (when training the lottery run here)', parse: String, default: d.model },
    dataset: { flag: '--dataset <name>', help: 'dataset (when training the lottery run here)', parse: String, default: d.dataset },
    dataDir: { flag: '--data-dir <dir>', help: 'directory holding the dataset\'s IDX files (when training the lottery run here)', parse: String, default: d.dataDir },
    levels: { flag: '--levels <list>', help: 'lottery levels to include, e.g. 0,2,4,6 (default: every level of the run)', parse: intList('--levels'), default: null },
    pruneLevels: { flag: '--prune-levels <n>', help: 'pruning levels to train when no --lottery-run is given', parse: intFlag('--prune-levels', 0, 200), default: d.pruneLevels },
    rateFc: { flag: '--rate-fc <r>', help: 'fraction of remaining fc weights pruned per level', parse: numberFlag('--rate-fc', 0, 0.99), default: d.rateFc },
    rateConv: { flag: '--rate-conv <r>', help: 'fraction of remaining conv weights pruned per level', parse: numberFlag('--rate-conv', 0, 0.99), default: d.rateConv },
    rateOutput: { flag: '--rate-output <r>', help: 'fraction of remaining output-layer weights pruned per level', parse: numberFlag('--rate-output', 0, 0.99), default: d.rateOutput },
    iterations: { flag: '--iterations <n>', help: 'training steps per lottery level', parse: intFlag('--iterations', 1), default: d.iterations },
    seed: { flag: '--seed <n>', help: 'seed of the lottery run', parse: intFlag('--seed', 0, 2 ** 32 - 1), default: d.seed },
    ticketFormats: { flag: '--formats <list>', help: 'formats for tickets and controls (comma-separated, or all)', parse: formatList('--formats'), default: d.ticketFormats },
    denseFormats: { flag: '--dense-formats <list>', help: 'formats for the dense network', parse: formatList('--dense-formats'), default: d.denseFormats },
    controls: { flag: '--no-controls', help: 'skip the random-pruned controls', default: true },
    lotteryRun: { flag: '--lottery-run <id>', help: 'use this existing lottery run from the store instead of training one', parse: String, default: '' },
    neat: { flag: '--no-neat', help: 'skip NEAT genomes', default: true },
    neatDir: { flag: '--neat-dir <dir>', help: 'where `winnow evolve --task classify` runs live', parse: String, default: d.neatDir! },
    lm: { flag: '--lm <file>', help: 'language models: study this trained winnow-lm file (winnow train --model gpt:… --save); else --model gpt:… is trained here for --iterations', parse: String, default: '' },
    methods: { flag: '--methods <list>', help: 'language models: one-shot pruning methods (magnitude, magnitude-global, wanda, sparsegpt)', parse: methodList, default: LM_STUDY_DEFAULTS.methods },
    sparsities: { flag: '--sparsities <list>', help: 'language models: unstructured sparsities, each in [0, 1) (2:4 is always added)', parse: numberList('--sparsities', (v) => checkSparsity(v, '--sparsities')), default: LM_STUDY_DEFAULTS.sparsities },
    evalTokens: { flag: '--eval-tokens <n>', help: 'language models: validation characters measured per point (0: all)', parse: intFlag('--eval-tokens', 0), default: LM_STUDY_DEFAULTS.evalTokens },
    tickets: { flag: '--tickets', help: 'language models: add IMP lottery tickets with rewinding at --sparsities, with random-reinit and random-prune controls (trained here)', default: false },
    rigl: { flag: '--rigl', help: 'language models: add RigL (ERK, α 0.3, ΔT 100, until 75% of training) at --sparsities (trained here)', default: false },
    rewindIter: { flag: '--rewind-iter <k>', help: 'language models: tickets rewind to iteration k of the dense training (-1: 5% of --iterations)', parse: intFlag('--rewind-iter', -1), default: -1 },
    impStrategy: { flag: '--imp-strategy <s>', help: 'language models: tickets prune by magnitude per matrix (layerwise) or over all block matrices (global)', parse: choiceFlag('--imp-strategy', IMP_STRATEGIES), default: 'layerwise' },
    calibrationSamples: { flag: '--calibration-samples <n>', help: 'language models: calibration windows of the context length', parse: intFlag('--calibration-samples', 1, 1 << 16), default: LM_STUDY_DEFAULTS.calibrationSamples },
    out: { flag: '--out <dir>', help: 'output directory of the report (default: <store>/<run id>)', parse: String, default: '' },
  },
  // Where NEAT runs live and where the report goes do not change what is measured.
  outsideIdentity: ['neatDir', 'neat', 'out'],
  describe: (h) => isLmStudy(h)
    ? `${h.lm ? `language model ${h.lm}` : `${h.model} trained here (${h.iterations} iterations)`}: ${h.methods.join(', ')} at ${h.sparsities.join(', ')} and 2:4, GPTQ, joint${h.tickets ? ', IMP tickets and controls' : ''}${h.rigl ? ', RigL' : ''}; ${h.denseFormats.length} dense formats`
    : `${h.model} on ${h.dataset}: ${h.lotteryRun ? `lottery run ${h.lotteryRun}` : `a lottery run of ${h.pruneLevels} levels`}, ${h.ticketFormats.length} ticket formats, ${h.denseFormats.length} dense formats`,
  resolve(h, given) {
    if (h.tickets || h.rigl) {
      const flag = h.tickets ? '--tickets' : '--rigl';
      if (h.lm) throw new UserError(`${flag}: tickets and RigL are trained here, from the dense training's recipe: give --model gpt:… instead of --lm ${h.lm}`);
      if (!h.model.startsWith('gpt:')) throw new UserError(`${flag}: for language models only (--model gpt:…); the LeNet study has its own lottery run`);
      checkLevelSparsities(trainedSparsities(h), '--sparsities');
      if (h.rewindIter >= h.iterations) throw new UserError(`--rewind-iter ${h.rewindIter}: must be below --iterations ${h.iterations}`);
    } else {
      for (const k of ['rewindIter', 'impStrategy'] as const) if (given.has(k)) throw new UserError(`${compareExperiment.params[k].flag.split(' ')[0]}: only with --tickets`);
    }
    return h;
  },
  plan: (h) => isLmStudy(h) ? lmPlan(h) : [
    ...(h.lotteryRun ? [] : [{ key: 'lottery', label: 'lottery run', step: 'lottery' as const }]),
    ...studyParts(studyConfig(h, '')).map((part) => ({
      key: `measure/${part}`, label: part === 'neat' ? 'measure NEAT genomes' : `measure ${part} points`, step: 'measure' as const, part,
      ...(h.lotteryRun ? {} : { after: ['lottery'] }),
    })),
  ],
  parallel: true, // the parts are independent once the lottery run is done
  nestedRuns: true,
  open: () => null,
  async runJob(_ctx, spec, env) {
    const h = env.store.getRun(env.runId)!.hparams as unknown as CompareHparams;
    if (spec.step === 'lm-train') {
      const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
      const data = loadTextDataset(lmDatasetName(h));
      const k = rewindIteration(h);
      const { model } = trainLm(be, data, lmTrainOptions(h), {
        onStep: (it, total) => { if (it % 50 === 0 || it === total) env.step(it, total); },
        // θk for the tickets' rewinding: every parameter at iteration k
        ...(h.tickets ? { onIteration: (it: number, m: Gpt) => { if (it === k) saveLm(join(env.dir, REWIND_FILE), m, h.model, data.tokenizer, { seed: h.seed, dataset: data.name, iteration: k }); } } : {}),
      });
      const file = join(env.dir, 'model.wnn');
      saveLm(file, model, h.model, data.tokenizer, { seed: h.seed, dataset: data.name });
      return { result: { lmFile: file } };
    }
    if (spec.step === 'lm-imp' || spec.step === 'lm-rigl') {
      const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
      const data = loadTextDataset(lmDatasetName(h));
      const o = lmTrainOptions(h);
      const onStep = (it: number, total: number): void => { if (it % 50 === 0 || it === total) env.step(it, total); };
      let trained: { model: Gpt; summary: LmTrainSummary };
      let method: TrainedVariant['method'];
      if (spec.step === 'lm-rigl') {
        trained = trainLmRigL(be, data, o, { ...LM_RIGL_DEFAULTS, density: 1 - spec.sparsity }, { onStep });
        method = 'rigl';
      } else {
        const levels = trainedSparsities(h), i = levels.indexOf(spec.sparsity);
        const previousFile = i === 0 ? jobLmFile(env, 'lm-train') : jobLmFile(env, impKey(levels[i - 1]!, 'ticket'));
        const rewindFile = join(dirname(jobLmFile(env, 'lm-train')), REWIND_FILE);
        if (!existsSync(rewindFile)) throw new UserError(`${rewindFile} is missing: run 'winnow runs repair ${env.runId}' and rerun to retrain the dense model`);
        trained = trainLmImpBranch(be, data, o, {
          sparsity: spec.sparsity, strategy: h.impStrategy, branch: spec.branch, rewindIteration: rewindIteration(h),
          rewound: loadLm(rewindFile).model, previous: loadLm(previousFile).model,
        }, { onStep });
        method = spec.branch === 'ticket' ? 'imp' : spec.branch === 'reinit' ? 'imp-reinit' : 'imp-random';
      }
      const file = join(env.dir, 'model.wnn');
      saveLm(file, trained.model, h.model, data.tokenizer, { seed: h.seed, dataset: data.name, method, sparsity: spec.sparsity });
      const ws = trained.model.blocks.flatMap((b) => b.weightLayers());
      const density = ws.reduce((a, l) => a + l.weights.nnz, 0) / ws.reduce((a, l) => a + l.weights.rows * l.weights.cols, 0);
      const result: LmTrained = { lmFile: file, method, sparsity: spec.sparsity, density, iterations: trained.summary.iterations, valLoss: trained.summary.final.valLoss, stepSeconds: trained.summary.stepSeconds };
      return { result, metrics: trained.summary.history.map((r) => ({ ...r })) };
    }
    if (spec.step === 'measure-lm') {
      const t0 = performance.now();
      const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
      const file = h.lm || (env.store.getJob(env.runId, 'lm-train')!.result as { lmFile: string }).lmFile;
      if (!existsSync(file)) throw new UserError(`--lm ${file}: no such file (expected a model file from 'winnow train --model gpt:… --save')`);
      const lm = loadLm(file);
      const data = lmDataset(lm, file);
      const cal = calibrationTokens(lm, data, { samples: h.calibrationSamples, seed: h.seed });
      const cfg = lmConfig(h);
      const trained: TrainedVariant[] = lmPlan(h).filter((j) => j.step === 'lm-imp' || j.step === 'lm-rigl').map((j) => {
        const r = env.store.getJob(env.runId, j.key)!.result as LmTrained;
        return { method: r.method, sparsity: r.sparsity, load: () => loadLm(r.lmFile) };
      });
      const points = measureLmStudy(be, () => loadLm(file), data, cal, cfg, { onPoint: (p, i) => { env.step(i + 1, 0, { point: p.label, loss: p.loss.toFixed(4) }); } }, trained);
      const result: LmMeasured = { kind: 'lm', spec: lm.spec, dataset: data.name, source: h.lm ? `file ${h.lm}` : `trained here (${h.iterations} iterations, seed ${h.seed})`,
        calibration: { sequences: h.calibrationSamples, tokens: cal.length }, points, seconds: (performance.now() - t0) / 1000 };
      return { result };
    }
    if (spec.step === 'lottery') {
      const lh = resolveHparams(lotteryExperiment, studyLotteryHparams(studyConfig(h, env.root), defaultsOf(lotteryExperiment.params)));
      const l = await launch(lotteryExperiment, lh, { root: env.root, emit: env.emit, backend: env.backend, noReport: true, checkpointSeconds: env.checkpointSeconds });
      return { result: { lotteryRunId: l.runId } };
    }
    const lotteryRunId = h.lotteryRun || (env.store.getJob(env.runId, 'lottery')!.result as { lotteryRunId: string }).lotteryRunId;
    const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
    const cfg = studyConfig(h, env.root);
    const r = measureStudy(be, cfg, lotteryRunId, { onPoint: (_p, i) => env.step(i + 1, 0) }, (spec as { part: FormatName | 'neat' }).part);
    const { config: _c, ...result } = r;
    return { result };
  },
  checkResult(v, where) {
    const o = v as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object') throw new UserError(`${where}: expected an object`);
    if ('lmFile' in o) {
      if (typeof o['lmFile'] !== 'string') throw new UserError(`${where}: field 'lmFile' must be a string`);
      return o as CompareJob;
    }
    if (o['kind'] === 'lm') {
      if (!Array.isArray(o['points'])) throw new UserError(`${where}: field 'points' must be a list of measured points`);
      return o as CompareJob;
    }
    if ('lotteryRunId' in o) {
      if (typeof o['lotteryRunId'] !== 'string') throw new UserError(`${where}: field 'lotteryRunId' must be a string`);
      return o as CompareJob;
    }
    const points = o['points'];
    if (!Array.isArray(points) || points.some((p) => typeof p !== 'object' || p === null || typeof (p as StudyPoint).bytes !== 'number' || typeof (p as StudyPoint).label !== 'string')) {
      throw new UserError(`${where}: field 'points' must be a list of measured points`);
    }
    return o as CompareJob;
  },
  summarize(_ctx, h, done, env) {
    const lmJob = done.find((j) => j.spec.step === 'measure-lm');
    if (lmJob) {
      const r = lmJob.result as LmMeasured;
      return lmStudyResult({ ...r, id: env.runId, config: lmConfig(h) }) as unknown as StudyResult;
    }
    const parts = done.filter((j) => j.spec.step === 'measure').map((j) => ({ part: (j.spec as { part: string }).part, r: j.result as Omit<StudyResult, 'id' | 'seconds' | 'config'> }));
    const m = parts[0]!.r;
    const cfg = studyConfig(h, env.root);
    // Stored points lost NaN (JSON null); conclusions are recomputed from them, not stored.
    const points = orderPoints(cfg, parts.flatMap((p) => p.r.points)).map((p) => ({ ...p, testLoss: p.testLoss ?? NaN }));
    const neatNote = parts.find((p) => p.part === 'neat')?.r.neatNote ?? m.neatNote;
    return { ...m, points, neatNote, conclusions: deriveConclusions(points), config: cfg, id: env.runId, seconds: { lottery: 0, measure: 0 } };
  },
  report: (h, s, env) => ((s as unknown as LmStudyResult).kind === 'lm'
    ? writeLmStudy(h.out || join(runDir(env.root, env.runId)), s as unknown as LmStudyResult)
    : writeStudy(h.out || join(runDir(env.root, env.runId)), s)),
};

function lmConfig(h: CompareHparams): typeof LM_STUDY_DEFAULTS {
  // a dense-format list left at the LeNet default means "every format" here too
  return {
    ...LM_STUDY_DEFAULTS, denseFormats: h.denseFormats, methods: h.methods, sparsities: h.sparsities, evalTokens: h.evalTokens, calibrationSamples: h.calibrationSamples, seed: h.seed,
    ...(h.tickets || h.rigl ? { trained: { tickets: h.tickets, rigl: h.rigl, rewindIteration: h.tickets ? rewindIteration(h) : null, impStrategy: h.impStrategy, iterations: h.iterations } } : {}),
  };
}

const REWIND_FILE = 'rewind.wnn';
const impKey = (s: number, branch: LmBranch): string => `imp/${Math.round(s * 1000) / 10}/${branch}`;

/** The levels of IMP (and RigL's sparsities): --sparsities without duplicates, ascending. */
function trainedSparsities(h: Pick<CompareHparams, 'sparsities'>): number[] { return [...new Set(h.sparsities)].sort((a, b) => a - b); }

function rewindIteration(h: Pick<CompareHparams, 'rewindIter' | 'iterations'>): number { return h.rewindIter >= 0 ? h.rewindIter : defaultRewindIteration(h.iterations); }

function lmDatasetName(h: Pick<CompareHparams, 'dataset'>): string { return h.dataset.startsWith('text:') ? h.dataset : LM_DEFAULTS.dataset!; }

/** The dense training's recipe (nanoGPT's baby run, `winnow train`'s LM defaults): tickets and RigL train with it too. */
function lmTrainOptions(h: CompareHparams): LmTrainOptions {
  const lr = LM_DEFAULTS.lr!;
  return {
    model: h.model, batchSize: LM_DEFAULTS.batchSize!, iterations: h.iterations, lr, minLr: lr / 10, warmup: Math.min(100, h.iterations), weightDecay: LM_DEFAULTS.weightDecay!,
    beta1: 0.9, beta2: 0.99, gradClip: 1, evalEvery: 0, evalIters: 20, seed: h.seed, density: 1,
  };
}

function jobLmFile(env: { store: { getJob(run: string, key: string): { result: unknown } | null | undefined }; runId: string }, key: string): string {
  const j = env.store.getJob(env.runId, key);
  if (!j) throw new Error(`compare: job ${key} has not run`);
  return (j.result as { lmFile: string }).lmFile;
}

/** The LM study's jobs: the dense training, IMP levels (each after the one before) with their controls, RigL, then the measurement. */
function lmPlan(h: CompareHparams): CompareSpec[] {
  if (h.lm) return [{ key: 'measure-lm', label: 'one-shot compress and measure every point', step: 'measure-lm' }];
  const jobs: CompareSpec[] = [{ key: 'lm-train', label: `train ${h.model}`, step: 'lm-train' }];
  const levels = h.tickets || h.rigl ? trainedSparsities(h) : [];
  if (h.tickets) {
    levels.forEach((s, i) => {
      const previous = i === 0 ? 'lm-train' : impKey(levels[i - 1]!, 'ticket');
      for (const branch of ['ticket', 'reinit', 'random-prune'] as const) {
        jobs.push({ key: impKey(s, branch), label: `IMP ${Math.round(s * 100)}% ${branch}`, step: 'lm-imp', sparsity: s, branch, after: [previous] });
      }
    });
  }
  if (h.rigl) for (const s of levels) jobs.push({ key: `rigl/${Math.round(s * 1000) / 10}`, label: `RigL ${Math.round(s * 100)}%`, step: 'lm-rigl', sparsity: s });
  jobs.push({ key: 'measure-lm', label: 'one-shot compress and measure every point', step: 'measure-lm', after: jobs.map((j) => j.key) });
  return jobs;
}

/** The study for a terminal: the points table, the conclusions by theme, the NEAT note. */
export function compareText(r: StudyResult): string {
  if ((r as unknown as LmStudyResult).kind === 'lm') return lmStudyText(r as unknown as LmStudyResult);
  const lines = [terminalTable(r)];
  const s = r.conclusions.statements;
  for (const [title, items] of [['where sparsity wins', s.sparsity], ['where quantization wins', s.quantization], ['where combining wins', s.combined], ['frontier', s.frontier], ['tickets vs random pruning', s.controls]] as const) {
    if (items.length === 0) continue;
    lines.push('', `${title}:`, ...items.map((it) => `  - ${it}`));
  }
  lines.push('', r.neatNote);
  return lines.join('\n');
}
