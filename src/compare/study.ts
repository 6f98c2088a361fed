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
import type { LotteryHparams } from '../lottery/hparams.js';
import { FORMAT_NAMES, type FormatName } from '../quant/formats.js';
import { UserError } from '../util/errors.js';
import { deriveConclusions, type Conclusions } from './conclusions.js';
import { loadTicket, lotteryDataset, lotteryHparams } from './model-source.js';
import { neatPoints } from './neat-points.js';
import { measurePoint, modelDensity, type StudyPoint } from './points.js';

export interface StudyConfig {
  model: string;
  dataset: string;
  /** Where the dataset's files are ('' = the usual search). */
  dataDir: string;
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
  model: 'lenet300', dataset: 'fashion-mnist-mini', dataDir: '', levels: null, pruneLevels: 6, rateFc: 0.5, rateConv: 0.3, rateOutput: 0.25,
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
  onPoint?(p: StudyPoint, index: number): void;
}

/** The lottery run a study trains when it is given none: its hyperparameters (LOTTERY_DEFAULTS for the rest). */
export function studyLotteryHparams(cfg: StudyConfig, defaults: LotteryHparams): LotteryHparams {
  const levels = Math.max(cfg.pruneLevels, ...(cfg.levels ?? [0]));
  return {
    ...defaults, model: cfg.model, dataset: cfg.dataset, dataDir: cfg.dataDir, iterations: cfg.iterations, evalEvery: Math.min(defaults.evalEvery, cfg.iterations),
    levels, rateFc: cfg.rateFc, rateConv: cfg.rateConv, rateOutput: cfg.rateOutput, controls: cfg.controls ? ['random-prune'] : [], seed: cfg.seed,
  };
}

/** The independent parts a study can be measured in (compare's jobs): one per number format, then NEAT's genomes. */
export function studyParts(cfg: Pick<StudyConfig, 'denseFormats' | 'ticketFormats' | 'neatDir'>): Array<FormatName | 'neat'> {
  const formats = FORMAT_NAMES.filter((f) => f === 'fp32' || cfg.denseFormats.includes(f) || cfg.ticketFormats.includes(f));
  return [...formats, ...(cfg.neatDir ? ['neat' as const] : [])];
}

/**
 * Puts points measured in parts back in the order measureStudy gives them all: dense formats (then the fp32
 * baseline when not among them), every level's ticket formats then its controls', NEAT last.
 */
export function orderPoints(cfg: Pick<StudyConfig, 'denseFormats' | 'ticketFormats'>, points: StudyPoint[]): StudyPoint[] {
  const rank = (p: StudyPoint): number[] => {
    if (p.source === 'neat') return [2];
    if (p.source === 'dense') return [0, 0, 0, cfg.denseFormats.includes(p.format as FormatName) ? cfg.denseFormats.indexOf(p.format as FormatName) : cfg.denseFormats.length];
    return [1, p.level ?? 0, p.source === 'ticket' ? 0 : 1, cfg.ticketFormats.indexOf(p.format as FormatName)];
  };
  const cmp = (a: number[], b: number[]): number => { for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0); return 0; };
  return [...points].sort((a, b) => cmp(rank(a), rank(b))); // stable: NEAT's genomes keep their order
}

/**
 * Measures the points of the study on the finished lottery run `runId` (in `cfg.store`): all of them, or one
 * part (studyParts) — the points of one format, or NEAT's — so that parts can run as independent jobs.
 */
export function measureStudy(be: Backend, cfg: StudyConfig, runId: string, hooks: StudyHooks = {}, part?: FormatName | 'neat'): Omit<StudyResult, 'id' | 'seconds'> {
  const want = (f: FormatName | 'neat'): boolean => part === undefined || part === f;
  const h = lotteryHparams(cfg.store, runId);
  const data = lotteryDataset(h);
  const levels = (cfg.levels ?? Array.from({ length: h.levels + 1 }, (_, i) => i)).filter((l, i, a) => a.indexOf(l) === i).sort((a, b) => a - b);
  for (const l of levels) if (l > h.levels) throw new UserError(`--levels: level ${l} does not exist in run ${runId} (levels 0..${h.levels})`);
  const info: ModelInfo = { spec: h.model, inputShape: [data.shape[0], data.shape[1], data.shape[2]], classes: data.classes, dataset: data.name };
  const points: StudyPoint[] = [];
  const add = (p: StudyPoint) => { points.push(p); hooks.onPoint?.(p, points.length - 1); };
  const ref = (level: number, branch: 'ticket' | 'random-prune') => ({ root: cfg.store, runId, level, replicate: 0, branch });

  const dense = loadTicket(ref(0, 'ticket'), h, data);
  for (const f of cfg.denseFormats.filter(want)) {
    add(measurePoint(be, dense, info, data, f, { label: `dense ${f}`, category: f === 'fp32' ? 'baseline' : 'quantization', source: 'dense', level: 0, density: 1 }));
  }
  if (!cfg.denseFormats.includes('fp32') && want('fp32')) {
    add(measurePoint(be, dense, info, data, 'fp32', { label: 'dense fp32', category: 'baseline', source: 'dense', level: 0, density: 1 }));
  }
  const withControls = cfg.controls && h.controls.includes('random-prune');
  const ticketFormats = cfg.ticketFormats.filter(want);
  for (const level of levels.filter((l) => l > 0 && ticketFormats.length > 0)) {
    const ticket = loadTicket(ref(level, 'ticket'), h, data);
    const density = modelDensity(ticket);
    for (const f of ticketFormats) {
      add(measurePoint(be, ticket, info, data, f, { label: `L${level} ${f}`, category: f === 'fp32' ? 'sparsity' : 'combined', source: 'ticket', level, density }));
    }
    if (!withControls) continue;
    const control = loadTicket(ref(level, 'random-prune'), h, data);
    for (const f of ticketFormats) {
      add(measurePoint(be, control, info, data, f, { label: `rand L${level} ${f}`, category: 'control', source: 'random-prune', level, density: modelDensity(control) }));
    }
  }
  let neatNote = 'NEAT: skipped (no directory given)';
  if (cfg.neatDir && want('neat')) {
    const n = neatPoints(cfg.neatDir, data);
    neatNote = n.note;
    for (const p of n.points) add(p);
  }
  return { config: cfg, runId, hparams: h, dataset: data.name, info, points, conclusions: deriveConclusions(points), neatNote };
}
