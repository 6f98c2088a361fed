// The compression study for a language model (`winnow compare --model gpt:…`): every variant of one
// trained LM as validation loss (bits per character) against exact model-file bytes —
//   dense in every number format (round to nearest);
//   one-shot pruned (magnitude, Wanda, SparseGPT) at each sparsity and N:M pattern, stored in a few formats
//     (pruned in fp32, then each format rounds the pruned weights);
//   GPTQ on the integer formats; SparseGPT + GPTQ jointly;
// with the Pareto frontier (fewer bytes, lower loss), which kind holds each stretch of it, the smallest
// file within given tolerances of dense fp32, and the best of each kind at fixed budgets.
import type { Backend } from '../backend/backend.js';
import type { TextDataset } from '../data/text.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { lmFromFile, serializeLmReport, type LmTensorChoice, type LoadedLm } from '../io/lm-io.js';
import { parseModelFile } from '../io/modelfile.js';
import { FORMAT_NAMES, type FormatName } from '../quant/formats.js';
import { paretoFrontier } from '../report/pareto.js';
import { compressLmModel, lmLoss } from './lm-compress.js';
import { describe, ONESHOT_DEFAULTS, type OneShotOptions, type PruneMethod } from './oneshot.js';
import { patternLabel, type Pattern } from './pattern.js';

export type LmCategory = 'baseline' | 'quantization' | 'sparsity' | 'combined' | 'control';
export const LM_CATEGORY_LABEL: Record<LmCategory, string> = {
  baseline: 'dense fp32', quantization: 'dense, quantized', sparsity: 'pruned, fp32', combined: 'pruned and quantized',
  control: 'ticket control (random reinit / random prune)',
};

/** Sparse models trained here: IMP tickets, their controls, RigL. */
export const TRAINED_METHODS = ['imp', 'imp-reinit', 'imp-random', 'rigl'] as const;
export type TrainedMethod = typeof TRAINED_METHODS[number];
export const TRAINED_LABEL: Record<TrainedMethod, string> = { imp: 'IMP ticket', 'imp-reinit': 'IMP random reinit', 'imp-random': 'IMP random prune', rigl: 'RigL' };

/** A sparse model trained by the experiment, measured × the pruned models' formats. */
export interface TrainedVariant { method: TrainedMethod; sparsity: number; load: () => LoadedLm }

export interface LmPoint {
  label: string;
  category: LmCategory;
  method: string;
  prune: PruneMethod | TrainedMethod;
  pattern: string;
  quant: 'rtn' | 'gptq';
  format: FormatName;
  density: number;
  bytes: number;
  bitsPerWeight: number;
  loss: number;
  bitsPerChar: number;
}

export interface LmStudyConfig {
  denseFormats: FormatName[];
  /** formats the pruned models are stored in */
  prunedFormats: FormatName[];
  methods: PruneMethod[];
  /** unstructured sparsities */
  sparsities: number[];
  /** N:M patterns */
  nm: Array<{ n: number; m: number }>;
  /** GPTQ formats (integer) for the dense model */
  gptqFormats: FormatName[];
  /** joint SparseGPT + GPTQ: patterns × this format */
  jointFormat: FormatName | null;
  jointPatterns: Pattern[];
  calibrationSamples: number;
  /** validation characters measured (0: the whole split) */
  evalTokens: number;
  seed: number;
  tolerances: number[];
  /** what was trained (tickets, controls, RigL), when anything was */
  trained?: { tickets: boolean; rigl: boolean; rewindIteration: number | null; impStrategy: string; iterations: number };
}

export const LM_STUDY_DEFAULTS: LmStudyConfig = {
  denseFormats: [...FORMAT_NAMES], prunedFormats: ['fp32', 'bf16', 'int8-channel', 'int4-channel', 'nvfp4'],
  methods: ['magnitude', 'wanda', 'sparsegpt'], sparsities: [0.5, 0.7, 0.9], nm: [{ n: 2, m: 4 }],
  gptqFormats: ['int4-channel', 'int4-group', 'int8-channel'], jointFormat: 'int4-channel',
  jointPatterns: [{ kind: 'unstructured', sparsity: 0.5 }, { kind: 'nm', n: 2, m: 4 }],
  calibrationSamples: 64, evalTokens: 16384, seed: 0, tolerances: [0.01, 0.02, 0.05, 0.1],
};

/** Measures the stored file of `lm` (as it is now) with every matrix's storage given: exact bytes, reloaded, evaluated. */
function measure(be: Backend, lm: LoadedLm, data: TextDataset<Tokenizer>, evalTokens: number, o: { format: FormatName; perTensor?: Map<string, LmTensorChoice> },
  p: Omit<LmPoint, 'bytes' | 'bitsPerWeight' | 'loss' | 'bitsPerChar' | 'density'>): LmPoint {
  const saved = serializeLmReport(lm.model, lm.spec, lm.tokenizer, {}, { format: o.format, ...(o.perTensor ? { perTensor: o.perTensor } : {}) });
  const back = lmFromFile(parseModelFile(saved.file, p.label), p.label);
  const r = lmLoss(be, back.model, data.val, evalTokens);
  const mats = saved.tensors.filter((t) => t.shape.length === 2);
  const numel = mats.reduce((s, t) => s + t.numel, 0), bytes = mats.reduce((s, t) => s + t.bytes, 0);
  let kept = 0, total = 0;
  for (const l of lm.model.weightLayers()) { kept += l.weights.nnz; total += l.weights.rows * l.weights.cols; }
  return { ...p, density: kept / total, bytes: saved.file.length, bitsPerWeight: (8 * bytes) / numel, loss: r.loss, bitsPerChar: r.bitsPerChar };
}

export interface LmStudyHooks { onPoint?(p: LmPoint, i: number): void }

/** Every point of the study. `load` returns a fresh copy of the trained LM each time. */
export function measureLmStudy(be: Backend, load: () => LoadedLm, data: TextDataset<Tokenizer>, calibration: Int32Array, cfg: LmStudyConfig, hooks: LmStudyHooks = {}, trained: readonly TrainedVariant[] = []): LmPoint[] {
  const points: LmPoint[] = [];
  const add = (p: LmPoint): void => { points.push(p); hooks.onPoint?.(p, points.length - 1); };
  const dense = load();
  for (const f of new Set<FormatName>(['fp32', ...cfg.denseFormats])) {
    add(measure(be, dense, data, cfg.evalTokens, { format: f }, { label: `dense ${f}`, category: f === 'fp32' ? 'baseline' : 'quantization', method: 'dense', prune: 'none', pattern: '', quant: 'rtn', format: f }));
  }
  const patterns: Pattern[] = [...cfg.sparsities.map((s) => ({ kind: 'unstructured', sparsity: s }) as Pattern), ...cfg.nm.map((x) => ({ kind: 'nm', ...x }) as Pattern)];
  const base = { ...ONESHOT_DEFAULTS, quant: 'rtn' as const };
  for (const method of cfg.methods) {
    for (const pattern of patterns) {
      const lm = load();
      const o: OneShotOptions = { ...base, prune: method, pattern, format: 'fp32' };
      compressLmModel(be, lm, calibration, o, {});
      for (const f of cfg.prunedFormats) {
        add(measure(be, lm, data, cfg.evalTokens, { format: f }, {
          label: `${method} ${patternLabel(pattern)} ${f}`, category: f === 'fp32' ? 'sparsity' : 'combined', method: method, prune: method, pattern: patternLabel(pattern), quant: 'rtn', format: f,
        }));
      }
    }
  }
  const oneShotPoint = (o: OneShotOptions, category: LmCategory): void => {
    const lm = load();
    const r = compressLmModel(be, lm, calibration, o, {});
    const ev = lmLoss(be, r.loaded.model, data.val, cfg.evalTokens);
    const mats = r.tensors.filter((t) => t.shape.length === 2);
    const numel = mats.reduce((s, t) => s + t.numel, 0), bytes = mats.reduce((s, t) => s + t.bytes, 0);
    let kept = 0, total = 0;
    for (const l of r.loaded.model.weightLayers()) { kept += l.weights.nnz; total += l.weights.rows * l.weights.cols; }
    add({ label: describe(o), category, method: o.prune === 'none' ? 'gptq' : `${o.prune}+gptq`, prune: o.prune, pattern: o.pattern ? patternLabel(o.pattern) : '', quant: o.quant, format: o.format,
      density: kept / total, bytes: r.fileBytes, bitsPerWeight: (8 * bytes) / numel, loss: ev.loss, bitsPerChar: ev.bitsPerChar });
  };
  // trained sparse models (tickets, controls, RigL) in the pruned models' formats
  for (const t of trained) {
    const lm = t.load(), pattern = patternLabel({ kind: 'unstructured', sparsity: t.sparsity });
    const control = t.method === 'imp-reinit' || t.method === 'imp-random';
    for (const f of cfg.prunedFormats) {
      add(measure(be, lm, data, cfg.evalTokens, { format: f }, {
        label: `${t.method} ${pattern} ${f}`, category: control ? 'control' : f === 'fp32' ? 'sparsity' : 'combined', method: t.method, prune: t.method, pattern, quant: 'rtn', format: f,
      }));
    }
  }
  for (const f of cfg.gptqFormats) oneShotPoint({ ...base, prune: 'none', pattern: null, quant: 'gptq', format: f }, 'quantization');
  if (cfg.jointFormat) for (const p of cfg.jointPatterns) oneShotPoint({ ...base, prune: 'sparsegpt', pattern: p, quant: 'gptq', format: cfg.jointFormat }, 'combined');
  return points;
}

export interface LmConclusions {
  frontier: LmPoint[];
  frontierRuns: Array<{ category: LmCategory; from: number; to: number; labels: string[] }>;
  iso: Array<{ tolerance: number; target: number; smallest: LmPoint | null; byKind: Record<string, LmPoint | null> }>;
  budgets: Array<{ budget: number; best: Record<string, LmPoint | null> }>;
  statements: string[];
}

const kb = (b: number): string => (b < 1e6 ? `${(b / 1000).toFixed(1)} kB` : `${(b / 1e6).toFixed(2)} MB`);
const KINDS: LmCategory[] = ['quantization', 'sparsity', 'combined'];

export function lmConclusions(all: readonly LmPoint[], tolerances: readonly number[]): LmConclusions {
  // the controls test the ticket hypothesis; the frontier and budgets are of the methods
  const points = all.filter((p) => p.category !== 'control');
  const front = paretoFrontier(points.map((p) => ({ x: p.bytes, y: -p.loss, p }))).map((f) => f.p);
  const runs: LmConclusions['frontierRuns'] = [];
  for (const p of front) {
    const last = runs[runs.length - 1];
    if (last && last.category === p.category) { last.to = p.bytes; last.labels.push(p.label); } else runs.push({ category: p.category, from: p.bytes, to: p.bytes, labels: [p.label] });
  }
  const base = points.find((p) => p.category === 'baseline');
  const iso = base ? tolerances.map((t) => {
    const target = base.loss + t;
    const ok = (c: LmCategory | null) => points.filter((p) => p.category !== 'baseline' && (c === null || p.category === c) && p.loss <= target).sort((a, b) => a.bytes - b.bytes || a.loss - b.loss)[0] ?? null;
    return { tolerance: t, target, smallest: ok(null), byKind: Object.fromEntries(KINDS.map((c) => [c, ok(c)])) };
  }) : [];
  // fixed budgets: fractions of the dense fp32 file
  const budgets = base ? [0.5, 0.25, 0.15, 0.1, 0.07, 0.05].map((f) => {
    const budget = Math.round(base.bytes * f);
    const best = Object.fromEntries(KINDS.map((c) => [c, points.filter((p) => p.category === c && p.bytes <= budget).sort((a, b) => a.loss - b.loss || a.bytes - b.bytes)[0] ?? null]));
    return { budget, best };
  }) : [];
  const st: string[] = [];
  if (base) st.push(`Dense fp32: ${kb(base.bytes)}, validation loss ${base.loss.toFixed(4)} nats (${base.bitsPerChar.toFixed(4)} bits/char).`);
  for (const i of iso) {
    const s = i.smallest;
    st.push(s ? `Within ${i.tolerance} nats of dense fp32 (≤ ${i.target.toFixed(4)}): the smallest file is ${s.label} (${LM_CATEGORY_LABEL[s.category]}), ${kb(s.bytes)} = ${base ? (base.bytes / s.bytes).toFixed(1) : '?'}× smaller, ${s.loss.toFixed(4)} nats; smallest per kind: ${KINDS.map((c) => `${LM_CATEGORY_LABEL[c]} ${i.byKind[c] ? `${i.byKind[c]!.label} ${kb(i.byKind[c]!.bytes)}` : 'none'}`).join('; ')}.`
      : `No compressed file stays within ${i.tolerance} nats of dense fp32.`);
  }
  for (const b of budgets) {
    const present = KINDS.filter((c) => b.best[c]);
    if (!present.length) { st.push(`At ${kb(b.budget)}: no file that small.`); continue; }
    const win = present.reduce((a, c) => (b.best[c]!.loss < b.best[a]!.loss ? c : a));
    st.push(`At a budget of ${kb(b.budget)}: ${LM_CATEGORY_LABEL[win]} is best — ${KINDS.map((c) => `${LM_CATEGORY_LABEL[c]} ${b.best[c] ? `${b.best[c]!.loss.toFixed(4)} (${b.best[c]!.label})` : '— (none that small)'}`).join(', ')}.`);
  }
  st.push(...trainedStatements(all));
  for (const r of runs) st.push(`Pareto frontier ${r.from === r.to ? kb(r.from) : `${kb(r.from)}–${kb(r.to)}`}: ${LM_CATEGORY_LABEL[r.category]} (${r.labels.join(', ')}).`);
  return { frontier: front, frontierRuns: runs, iso, budgets, statements: st };
}

/** Tickets against their controls, and tickets / RigL against SparseGPT, at each sparsity (fp32). */
export function trainedStatements(points: readonly LmPoint[]): string[] {
  const fp = points.filter((p) => p.format === 'fp32' && p.quant === 'rtn');
  const at = (prune: string, pattern: string): LmPoint | undefined => fp.find((p) => p.prune === prune && p.pattern === pattern);
  const patterns = [...new Set(fp.filter((p) => (TRAINED_METHODS as readonly string[]).includes(p.prune)).map((p) => p.pattern))];
  const out: string[] = [];
  const n = (p: LmPoint | undefined): string => (p ? p.loss.toFixed(4) : '–');
  for (const pat of patterns) {
    const t = at('imp', pat), r = at('imp-reinit', pat), q = at('imp-random', pat), g = at('rigl', pat), sg = at('sparsegpt', pat);
    if (t && (r || q)) {
      const beats = [r, q].filter((c) => c).every((c) => t.loss < c!.loss);
      out.push(`At ${pat} sparsity the IMP ticket (${n(t)} nats) ${beats ? 'beats' : 'does not beat'} its controls (random reinit ${n(r)}, random prune ${n(q)}).`);
    }
    const rivals = [['IMP ticket', t], ['RigL', g], ['SparseGPT', sg]].filter(([, p]) => p) as Array<[string, LmPoint]>;
    if (rivals.length > 1 && (t || g)) {
      const best = rivals.reduce((a, b) => (b[1].loss < a[1].loss ? b : a));
      out.push(`At ${pat}, fp32: ${rivals.map(([k, p]) => `${k} ${n(p)}`).join(', ')} — ${best[0]} is best.`);
    }
  }
  return out;
}
