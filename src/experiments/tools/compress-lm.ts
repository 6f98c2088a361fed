// `winnow compress` and `winnow infer` on language-model files (meta.kind "winnow-lm"): one-shot pruning
// (magnitude, Wanda, SparseGPT; unstructured or N:M) and quantization (RTN in any format, GPTQ on the
// integer formats, SparseGPT+GPTQ jointly), calibrated layer by layer on text in the model's vocabulary;
// the written file's exact bytes and the validation loss (nats, bits per character) before and after.
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { getBackend } from '../../backend/index.js';
import { weightTotals, type WeightTotals } from '../../compare/compress.js';
import { isLmFile, loadLm } from '../../io/lm-io.js';
import { loadModelFile } from '../../io/modelfile.js';
import type { TensorReport } from '../../io/model-io.js';
import { tensorReport } from '../../io/model-io.js';
import { calibrationTokens, compressLmModel, lmDataset, lmLoss, type LmLoss } from '../../llmcompress/lm-compress.js';
import { describe, ONESHOT_DEFAULTS, type LayerReport, type PruneMethod, type QuantMethod } from '../../llmcompress/oneshot.js';
import { checkSparsity, parseNm, type Pattern } from '../../llmcompress/pattern.js';
import type { FormatName } from '../../quant/formats.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';

export { PRUNE_METHODS, QUANT_METHODS, type PruneMethod, type QuantMethod } from '../../llmcompress/oneshot.js';

/** True when PATH is an existing winnow-lm model file (a bad file falls through to the usual loader's error). */
export function isLmPath(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  try { return isLmFile(loadModelFile(path)); } catch { return false; }
}

export interface LmCompressFlags {
  format: FormatName; prune?: PruneMethod; sparsity?: number; nm?: string; quant?: QuantMethod; embeddingFormat?: FormatName;
  calibration?: string; calibrationSamples?: number; seed?: number; damp?: number; blocksize?: number; evalTokens?: number;
  out?: string; dataset?: string; encoding?: string; prune24?: boolean; backend: 'native' | 'reference'; warn?: (m: string) => void;
  onLayer?: (r: LayerReport, i: number, total: number) => void;
}

export interface LmCompressReport {
  kind: 'lm';
  source: string; out: string; spec: string; dataset: string; method: string;
  prune: PruneMethod; pattern: Pattern | null; quant: QuantMethod; format: FormatName; embeddingFormat: FormatName;
  fileBytes: number; fp32DenseBytes: number; ratio: number;
  weights: WeightTotals; tensors: TensorReport[];
  before: LmLoss; after: LmLoss;
  layers: Array<{ name: string; shape: [number, number]; density: number; storage: string }>;
  calibration: { source: string; sequences: number; tokens: number; seed: number };
  seconds: number;
}

/** The pruning pattern the flags ask for (one of --sparsity, --nm, --prune24), or null. */
export function patternOf(f: { sparsity?: number; nm?: string; prune24?: boolean }): Pattern | null {
  const given = [f.sparsity !== undefined, f.nm !== undefined, Boolean(f.prune24)].filter(Boolean).length;
  if (given > 1) throw new UserError('--sparsity, --nm and --prune24 are exclusive: give one');
  if (f.sparsity !== undefined) return { kind: 'unstructured', sparsity: checkSparsity(f.sparsity) };
  if (f.nm !== undefined) return { kind: 'nm', ...parseNm(f.nm) };
  if (f.prune24) return { kind: 'nm', n: 2, m: 4 };
  return null;
}

export function compressLm(modelPath: string, f: LmCompressFlags): LmCompressReport {
  if (f.encoding !== undefined && f.encoding !== 'auto') throw new UserError(`--encoding ${f.encoding}: language models are stored with the smallest encoding per matrix (auto); drop --encoding`);
  const pattern = patternOf(f);
  const prune: PruneMethod = f.prune ?? (pattern ? 'magnitude' : 'none');
  const quant: QuantMethod = f.quant ?? 'rtn';
  const be = getBackend(f.backend, { warn: f.warn });
  const lm = loadLm(modelPath);
  const data = lmDataset(lm, modelPath, f.dataset);
  const evalTokens = f.evalTokens ?? 0;
  const before = lmLoss(be, lm.model, data.val, evalTokens);
  const seed = f.seed ?? 0;
  const cal = calibrationTokens(lm, data, { file: f.calibration, samples: f.calibrationSamples ?? 64, seed });
  const o = { ...ONESHOT_DEFAULTS, prune, pattern, quant, format: f.format, ...(f.embeddingFormat ? { embeddingFormat: f.embeddingFormat } : {}),
    ...(f.damp !== undefined ? { percdamp: f.damp } : {}), ...(f.blocksize !== undefined ? { blocksize: f.blocksize } : {}) };
  const out = f.out ?? `${basename(modelPath).replace(/\.wnn$/, '')}.${[prune !== 'none' ? prune : '', quant === 'gptq' ? 'gptq' : '', f.format].filter(Boolean).join('-')}.wnn`;
  if (out === modelPath) throw new UserError(`--out ${out} would overwrite the input model; choose another path`);
  const r = compressLmModel(be, lm, cal, o, { seed, dataset: data.name, source: `file ${modelPath}` }, { onLayer: f.onLayer });
  writeFileAtomic(out, r.file);
  const after = lmLoss(be, r.loaded.model, data.val, evalTokens);
  return {
    kind: 'lm', source: `file ${modelPath}`, out, spec: lm.spec, dataset: data.name, method: describe(o), prune, pattern, quant, format: f.format,
    embeddingFormat: o.embeddingFormat ?? f.format, fileBytes: r.fileBytes, fp32DenseBytes: r.fp32DenseBytes, ratio: r.fileBytes / r.fp32DenseBytes,
    weights: weightTotals(r.tensors), tensors: r.tensors, before, after,
    layers: r.loaded.model.weightLayers().map((l) => ({ name: l.name, shape: [l.weights.rows, l.weights.cols], density: l.weights.density, storage: l.weights.storage })),
    calibration: { source: f.calibration ?? `${data.name} training split`, ...r.calibration, seed }, seconds: r.seconds,
  };
}

export interface LmInferReport {
  kind: 'lm'; model: string; spec: string; dataset: string; backend: string; fileBytes: number;
  loss: number; bitsPerChar: number; tokens: number; milliseconds: number; tokensPerSecond: number;
  layers: Array<{ name: string; density: number; storage: string }>; tensors: TensorReport[];
}

export function inferLm(modelPath: string, f: { dataset?: string; input?: string; evalTokens?: number; batch: number; backend: 'native' | 'reference'; warn?: (m: string) => void }): LmInferReport {
  if (f.input !== undefined) throw new UserError(`--input: ${modelPath} is a language model; sample it with 'winnow generate' (or measure a text with 'winnow generate --eval-text FILE')`);
  const be = getBackend(f.backend, { warn: f.warn });
  const lm = loadLm(modelPath);
  const data = lmDataset(lm, modelPath, f.dataset);
  const t0 = performance.now();
  const r = lmLoss(be, lm.model, data.val, f.evalTokens ?? 0); // the batch compress measures with: the same sums, the same loss
  const ms = performance.now() - t0;
  return {
    kind: 'lm', model: `file ${modelPath}`, spec: lm.spec, dataset: data.name, backend: `${be.name} (${be.detail})`, fileBytes: statSync(modelPath).size,
    loss: r.loss, bitsPerChar: r.bitsPerChar, tokens: r.tokens, milliseconds: ms, tokensPerSecond: r.tokens / (ms / 1000),
    layers: lm.model.weightLayers().map((l) => ({ name: l.name, density: l.weights.density, storage: l.weights.storage })),
    tensors: loadModelFile(modelPath).tensors.map(tensorReport),
  };
}
