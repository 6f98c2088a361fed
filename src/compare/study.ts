// The compression study of `winnow compare`: for one model and dataset, every point measured in this run —
//   the dense network (level 0) in every number format;
//   lottery tickets at several levels (densities) × a few formats (fp32, bf16, fp8, nvfp4, int4);
//   their random-pruned controls (same per-layer density, same formats);
//   NEAT genomes, if a classify run exists for the dataset.
// The lottery run is either read from the store (--lottery-run) or trained here with a quick
// configuration (and stored, so rerunning resumes it).
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import type { ModelInfo } from '../io/model-io.js';
import { LOTTERY_DEFAULTS, validateHparams, type LotteryHparams } from '../lottery/hparams.js';
import { plan, runLottery } from '../lottery/runner.js';
import { FORMAT_NAMES, type FormatName } from '../quant/formats.js';
import { openStore } from '../store/db.js';
import { describeRun } from '../store/hash.js';
import { writeHparamsFile } from '../store/layout.js';
import { UserError } from '../util/errors.js';
import { deriveConclusions, type Conclusions } from './conclusions.js';
import { loadTicket, lotteryDataset, lotteryHparams } from './model-source.js';
import { neatPoints } from './neat-points.js';
import { measurePoint, modelDensity, type StudyPoint } from './points.js';

export interface StudyConfig {
  model: string;
  dataset: string;
  /** Lottery levels to include (null: every level of the run). */
  levels: number[] | null;
  /** When training the lottery run here: pruning levels, rates, steps per level, seed. */
  pruneLevels: number;
  rateFc: number;
  rateConv: number;
  rateOutput: number;
  iterations: number;
  seed: number;
  /** Formats for tickets and controls. */
  ticketFormats: FormatName[];
  /** Formats for the dense network. */
  denseFormats: FormatName[];
  /** Include random-pruned controls. */
  controls: boolean;
  /** An existing lottery run id in `store` (else one is trained). */
  lotteryRun: string | null;
  store: string;
  /** Where NEAT runs live (null: skip NEAT). */
  neatDir: string | null;
}

export const STUDY_DEFAULTS: StudyConfig = {
  model: 'lenet300', dataset: 'fashion-mnist-mini', levels: null, pruneLevels: 6, rateFc: 0.5, rateConv: 0.3, rateOutput: 0.25,
  iterations: 1500, seed: 0, ticketFormats: ['fp32', 'bf16', 'fp8-e4m3', 'nvfp4', 'int4-group'], denseFormats: [...FORMAT_NAMES],
  controls: true, lotteryRun: null, store: 'runs', neatDir: 'runs/neat',
};

export interface StudyResult {
  config: StudyConfig;
  /** `compare_<hash>` of the non-default settings (names the output directory). */
  id: string;
  runId: string;
  hparams: LotteryHparams;
  dataset: string;
  info: ModelInfo;
  points: StudyPoint[];
  conclusions: Conclusions;
  neatNote: string;
  seconds: { lottery: number; measure: number };
}

export interface StudyHooks {
  log?(line: string): void;
  onLotteryStep?(done: number, total: number): void;
  onPoint?(p: StudyPoint, index: number): void;
}

/** The identity of a study: its non-default settings (the store and NEAT directory do not change results' meaning). */
export function studyId(cfg: StudyConfig): string {
  const { store: _s, neatDir: _n, ...rest } = cfg;
  const { store: _ds, neatDir: _dn, ...defaults } = STUDY_DEFAULTS;
  return describeRun('compare', rest as unknown as Record<string, unknown>, defaults as unknown as Record<string, unknown>).id;
}

function lotteryConfig(cfg: StudyConfig): LotteryHparams {
  const levels = Math.max(cfg.pruneLevels, ...(cfg.levels ?? [0]));
  const h: LotteryHparams = {
    ...LOTTERY_DEFAULTS, model: cfg.model, dataset: cfg.dataset, iterations: cfg.iterations, evalEvery: Math.min(LOTTERY_DEFAULTS.evalEvery, cfg.iterations),
    levels, rateFc: cfg.rateFc, rateConv: cfg.rateConv, rateOutput: cfg.rateOutput, controls: cfg.controls ? ['random-prune'] : [], seed: cfg.seed,
  };
  validateHparams(h);
  return h;
}

/** Trains (or resumes) the study's lottery run in the store; returns its id and hyperparameters. */
function trainLottery(be: Backend, cfg: StudyConfig, hooks: StudyHooks): { runId: string; h: LotteryHparams; data: Dataset } {
  const h = lotteryConfig(cfg);
  const data = lotteryDataset(h);
  if (data.train.count < h.batchSize) throw new UserError(`--dataset ${cfg.dataset}: ${data.train.count} training images, fewer than the batch size ${h.batchSize}`);
  const { replicates: _r, ...identity } = h;
  const { replicates: _d, ...identityDefaults } = LOTTERY_DEFAULTS;
  const desc = describeRun('lottery', identity, identityDefaults);
  const store = openStore(cfg.store);
  try {
    store.upsertRun({ id: desc.id, kind: 'lottery', hparams: { ...h }, canonical: desc.canonical });
    writeHparamsFile(cfg.store, { id: desc.id, kind: 'lottery', canonical: desc.canonical, hparams: { ...h } });
    const jobs = plan(h).length;
    hooks.log?.(`lottery run ${desc.id} in ${cfg.store}/: ${h.model} on ${data.name}, ${jobs} trainings of ${h.iterations} steps (levels 0..${h.levels}, rate ${h.rateFc}/level, controls ${h.controls.join(', ') || 'none'}); reruns resume`);
    let done = 0;
    runLottery({ be, data, h, runId: desc.id, root: cfg.store, store }, {
      onStep: (it) => hooks.onLotteryStep?.(done + it, jobs * h.iterations),
      onJobDone: () => { done += h.iterations; hooks.onLotteryStep?.(done, jobs * h.iterations); },
    });
    store.setRunStatus(desc.id, 'done');
  } finally {
    store.close();
  }
  return { runId: desc.id, h, data };
}

export function runStudy(be: Backend, cfg: StudyConfig, hooks: StudyHooks = {}): StudyResult {
  const t0 = performance.now();
  let runId: string, h: LotteryHparams, data: Dataset;
  if (cfg.lotteryRun) {
    runId = cfg.lotteryRun;
    h = lotteryHparams(cfg.store, runId);
    data = lotteryDataset(h);
    hooks.log?.(`using lottery run ${runId} from ${cfg.store}/: ${h.model} on ${data.name}, levels 0..${h.levels}, controls ${h.controls.join(', ') || 'none'}`);
  } else {
    ({ runId, h, data } = trainLottery(be, cfg, hooks));
  }
  const t1 = performance.now();
  const levels = (cfg.levels ?? Array.from({ length: h.levels + 1 }, (_, i) => i)).filter((l, i, a) => a.indexOf(l) === i).sort((a, b) => a - b);
  for (const l of levels) if (l > h.levels) throw new UserError(`--levels: level ${l} does not exist in run ${runId} (levels 0..${h.levels})`);
  const info: ModelInfo = { spec: h.model, inputShape: [data.shape[0], data.shape[1], data.shape[2]], classes: data.classes, dataset: data.name };
  const points: StudyPoint[] = [];
  const add = (p: StudyPoint) => { points.push(p); hooks.onPoint?.(p, points.length - 1); };
  const ref = (level: number, branch: 'ticket' | 'random-prune') => ({ root: cfg.store, runId, level, replicate: 0, branch });

  const dense = loadTicket(ref(0, 'ticket'), h, data);
  for (const f of cfg.denseFormats) {
    add(measurePoint(be, dense, info, data, f, { label: `dense ${f}`, category: f === 'fp32' ? 'baseline' : 'quantization', source: 'dense', level: 0, density: 1 }));
  }
  if (!cfg.denseFormats.includes('fp32')) {
    add(measurePoint(be, dense, info, data, 'fp32', { label: 'dense fp32', category: 'baseline', source: 'dense', level: 0, density: 1 }));
  }
  const withControls = cfg.controls && h.controls.includes('random-prune');
  for (const level of levels.filter((l) => l > 0)) {
    const ticket = loadTicket(ref(level, 'ticket'), h, data);
    const density = modelDensity(ticket);
    for (const f of cfg.ticketFormats) {
      add(measurePoint(be, ticket, info, data, f, { label: `L${level} ${f}`, category: f === 'fp32' ? 'sparsity' : 'combined', source: 'ticket', level, density }));
    }
    if (!withControls) continue;
    const control = loadTicket(ref(level, 'random-prune'), h, data);
    for (const f of cfg.ticketFormats) {
      add(measurePoint(be, control, info, data, f, { label: `rand L${level} ${f}`, category: 'control', source: 'random-prune', level, density: modelDensity(control) }));
    }
  }
  let neatNote = 'NEAT: skipped (no directory given)';
  if (cfg.neatDir) {
    const n = neatPoints(cfg.neatDir, data);
    neatNote = n.note;
    for (const p of n.points) add(p);
  }
  const t2 = performance.now();
  return {
    config: cfg, id: studyId(cfg), runId, hparams: h, dataset: data.name, info, points, conclusions: deriveConclusions(points), neatNote,
    seconds: { lottery: (t1 - t0) / 1000, measure: (t2 - t1) / 1000 },
  };
}
