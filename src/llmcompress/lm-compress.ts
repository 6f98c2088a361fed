// Compressing a language-model file: one-shot pruning and/or quantization (oneshot.ts) of a loaded LM,
// written as a winnow-lm model file with exact bytes, reloaded through the same path inference uses, and
// measured by validation loss (nats and bits per character) before and after.
import type { Backend } from '../backend/backend.js';
import { loadTextDataset, type TextDataset } from '../data/text.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { lmFromFile, serializeLmReport, type LmTensorChoice, type LoadedLm } from '../io/lm-io.js';
import { parseModelFile } from '../io/modelfile.js';
import type { TensorReport } from '../io/model-io.js';
import type { Gpt } from '../nn/gpt/model.js';
import type { FormatName } from '../quant/formats.js';
import { LN2, splitLoss } from '../train/lm.js';
import { UserError } from '../util/errors.js';
import { readUserFile } from '../util/read.js';
import { calibrationWindows, oneShot, type LayerReport, type OneShotOptions } from './oneshot.js';

export interface LmLoss { loss: number; bitsPerChar: number; tokens: number }

/** Validation loss over non-overlapping context windows of the first `maxTokens` tokens (0: all). */
export function lmLoss(be: Backend, model: Gpt, val: Int32Array, maxTokens = 0, batch = 16): LmLoss {
  const ids = maxTokens > 0 && val.length > maxTokens + 1 ? val.subarray(0, maxTokens + 1) : val;
  const r = splitLoss(be, model, ids, batch);
  return { loss: r.loss, bitsPerChar: r.loss / LN2, tokens: r.tokens };
}

/** The text an LM was trained on (meta.dataset) or `dataset`, read with the model's own vocabulary. */
export function lmDataset(lm: LoadedLm, where: string, dataset?: string, flag = '--dataset'): TextDataset<Tokenizer> {
  const name = dataset ?? (typeof lm.meta['dataset'] === 'string' ? lm.meta['dataset'] as string : undefined);
  if (!name) throw new UserError(`${where}: the model file names no dataset; give ${flag}`);
  return loadTextDataset(name, { tokenizer: lm.tokenizer, flag });
}

/** Calibration tokens: a text file in the model's vocabulary (every character must be in it), or the training split. */
export function calibrationTokens(lm: LoadedLm, data: TextDataset<Tokenizer>, o: { file?: string; samples: number; seed: number }): Int32Array {
  const T = lm.config.context;
  let source = data.train;
  if (o.file) {
    let text: string;
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(readUserFile(o.file, `--calibration ${o.file}`)); } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`--calibration ${o.file}: not valid UTF-8 text`);
    }
    source = lm.tokenizer.encode(text, `--calibration ${o.file}`);
    if (source.length <= T) throw new UserError(`--calibration ${o.file}: ${source.length} characters, need more than the model's context of ${T}`);
  }
  if (!(Number.isInteger(o.samples) && o.samples >= 1)) throw new UserError(`--calibration-samples: expected a positive integer, got ${o.samples}`);
  return calibrationWindows(source, o.samples, T, o.seed);
}

export interface LmCompressResult {
  /** the file's bytes */
  file: Uint8Array;
  fileBytes: number;
  fp32DenseBytes: number;
  tensors: TensorReport[];
  /** the reloaded model (what inference runs) */
  loaded: LoadedLm;
  layers: LayerReport[];
  calibration: { sequences: number; tokens: number };
  seconds: number;
}

/** Compresses a copy of `lm` (its model is modified) and serializes it; the result is reloaded from its bytes. */
export function compressLmModel(be: Backend, lm: LoadedLm, calibration: Int32Array, o: OneShotOptions, meta: Record<string, unknown>,
  hooks: { onLayer?(r: LayerReport, i: number, total: number): void } = {}): LmCompressResult {
  const t0 = performance.now();
  const dense = serializeLmReport(lm.model, lm.spec, lm.tokenizer, meta, { format: 'fp32', encoding: 'dense' });
  const r = oneShot(be, lm.model, calibration, o, hooks);
  const perTensor = new Map<string, LmTensorChoice>(r.storage);
  const saved = serializeLmReport(lm.model, lm.spec, lm.tokenizer, { ...meta, compression: compressionMeta(o, r.calibration) }, { format: o.format, perTensor });
  const loaded = lmFromFile(parseModelFile(saved.file, 'compressed model'), 'compressed model');
  return {
    file: saved.file, fileBytes: saved.file.length, fp32DenseBytes: dense.file.length, tensors: saved.tensors, loaded,
    layers: r.layers, calibration: r.calibration, seconds: (performance.now() - t0) / 1000,
  };
}

export function compressionMeta(o: OneShotOptions, cal: { sequences: number; tokens: number }): Record<string, unknown> {
  return {
    prune: o.prune, pattern: o.pattern, quant: o.quant, format: o.format as FormatName, blocksize: o.blocksize, percdamp: o.percdamp,
    calibrationSequences: cal.sequences, calibrationTokens: cal.tokens,
  };
}
