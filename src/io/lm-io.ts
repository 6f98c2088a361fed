// Language models ↔ winnow model files (the same container as src/io/model-io.ts, docs/FORMATS.md):
// every weight matrix `<name>.weight` ([rows, cols] as the layer stores it, [out, in]; zeros where
// pruned) in the smallest lossless fp32 encoding, so a sparse model is stored sparse; every bias and
// LayerNorm vector fp32 dense. The header's meta: { kind: "winnow-lm", spec, and the tokenizer: either
// vocab (a character-level model: the characters in id order), or vocabSize (the model's token count)
// and tokenizer: { kind: "bpe", tokens (id order), merges ("a b" by rank) } for GPT-2's byte-level BPE }.
// Loading rebuilds the spec, checks every tensor's name and exact shape, and takes each matrix's nonzeros
// as its mask.
import { Gpt, type GptConfig } from '../nn/gpt/model.js';
import { gptConfig } from '../models/gpt.js';
import { CharTokenizer } from '../data/text.js';
import { BpeTokenizer } from '../data/bpe.js';
import { decodeTensor, encodeTensor, matrixView, type EncodedTensor, type EncodingName } from '../sparse/encodings.js';
import type { FormatName, IntGridValues } from '../quant/formats.js';
import { tensorReport, type TensorReport } from './model-io.js';
import { UserError } from '../util/errors.js';
import { loadModelFile, serializeModelFile, type ModelFile } from './modelfile.js';
import { writeFileAtomic } from '../util/atomic.js';

export const LM_KIND = 'winnow-lm';

export type LmTokenizer = CharTokenizer | BpeTokenizer;

export function isLmFile(file: ModelFile): boolean { return file.meta['kind'] === LM_KIND; }

function tokenizerMeta(model: Gpt, tokenizer: LmTokenizer): Record<string, unknown> {
  if (tokenizer.kind === 'char') return { vocab: [...tokenizer.chars] };
  return { vocabSize: model.config.vocab, tokenizer: { kind: 'bpe', tokens: [...tokenizer.tokens], merges: [...tokenizer.merges] } };
}

/** How one weight matrix is stored: number format, encoding ('auto': the smallest), and a fixed integer grid (GPTQ). */
export interface LmTensorChoice { format: FormatName; encoding: EncodingName | 'auto'; grid?: IntGridValues }

export interface LmSaveOptions {
  /** every matrix's storage (default fp32, smallest lossless encoding); biases and LayerNorm stay fp32 dense */
  format?: FormatName;
  encoding?: EncodingName | 'auto';
  /** per matrix (`h.0.attn.c_attn.weight`) overrides */
  perTensor?: ReadonlyMap<string, LmTensorChoice>;
}

/** Every tensor of the LM encoded as it will be stored. */
export function encodeLm(model: Gpt, o: LmSaveOptions = {}): EncodedTensor[] {
  const byName = new Map(model.weightLayers().map((l) => [`${l.name}.weight`, l]));
  return model.params().map((p) => {
    const l = byName.get(p.name);
    if (l) {
      const c = o.perTensor?.get(p.name) ?? { format: o.format ?? 'fp32', encoding: o.encoding ?? 'auto' };
      return encodeTensor(p.name, l.weights.toDense(), [l.weights.rows, l.weights.cols], c.format, c.encoding, c.grid);
    }
    return encodeTensor(p.name, Float32Array.from(p.value), [p.value.length], 'fp32', 'dense');
  });
}

function serializeLmTensors(model: Gpt, tensors: EncodedTensor[], spec: string, tokenizer: LmTokenizer, meta: Record<string, unknown> = {}): Uint8Array {
  return serializeModelFile(tensors, { ...meta, kind: LM_KIND, spec, ...tokenizerMeta(model, tokenizer) });
}

export function serializeLm(model: Gpt, spec: string, tokenizer: LmTokenizer, meta: Record<string, unknown> = {}, o: LmSaveOptions = {}): Uint8Array {
  return serializeLmTensors(model, encodeLm(model, o), spec, tokenizer, meta);
}

/** Serialized bytes with the per-tensor accounting. */
export function serializeLmReport(model: Gpt, spec: string, tokenizer: LmTokenizer, meta: Record<string, unknown>, o: LmSaveOptions): { file: Uint8Array; tensors: TensorReport[] } {
  const tensors = encodeLm(model, o);
  return { file: serializeLmTensors(model, tensors, spec, tokenizer, meta), tensors: tensors.map(tensorReport) };
}

export function saveLm(path: string, model: Gpt, spec: string, tokenizer: LmTokenizer, meta: Record<string, unknown> = {}): number {
  const bytes = serializeLm(model, spec, tokenizer, meta);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

export interface LoadedLm { model: Gpt; spec: string; config: GptConfig; tokenizer: LmTokenizer; meta: Record<string, unknown> }

export function lmFromFile(file: ModelFile, where: string): LoadedLm {
  const meta = file.meta;
  if (meta['kind'] !== LM_KIND) throw new UserError(`${where}: not a language model (meta.kind is ${JSON.stringify(meta['kind'])}, expected "${LM_KIND}")`);
  const spec = meta['spec'];
  if (typeof spec !== 'string') throw new UserError(`${where}: meta.spec must be a string`);
  let tokenizer: LmTokenizer, config: GptConfig;
  try {
    tokenizer = tokenizerOf(meta);
    const vocabSize = tokenizer.kind === 'bpe' ? meta['vocabSize'] : tokenizer.size;
    if (!Number.isInteger(vocabSize) || (vocabSize as number) < tokenizer.size) {
      throw new UserError(`meta.vocabSize must be an integer ≥ the tokenizer's ${tokenizer.size} tokens, found ${JSON.stringify(vocabSize)}`);
    }
    config = gptConfig(spec, vocabSize as number, 'meta.spec');
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
  const model = new Gpt(config, { storage: 'auto' });
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const used = new Set<string>();
  const take = (name: string, shape: readonly number[]): Float32Array => {
    const t = byName.get(name);
    if (!t) throw new UserError(`${where}: tensor '${name}' is missing (the spec '${spec}' needs it)`);
    const [r, c] = matrixView(t.shape), [wr, wc] = matrixView(shape);
    if (r !== wr || c !== wc) throw new UserError(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}], the spec '${spec}' needs [${shape.join(', ')}]`);
    used.add(name);
    return decodeTensor(t);
  };
  for (const l of model.weightLayers()) {
    const w = take(`${l.name}.weight`, [l.weights.rows, l.weights.cols]);
    const mask = new Uint8Array(w.length);
    let nnz = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) { mask[i] = 1; nnz++; }
    l.setWeights(w, nnz === w.length ? null : mask);
  }
  const matrices = new Set(model.weightLayers().map((l) => `${l.name}.weight`));
  for (const p of model.params()) if (!matrices.has(p.name)) p.value.set(take(p.name, [p.value.length]));
  const extra = file.tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (extra.length) throw new UserError(`${where}: tensor(s) ${extra.map((n) => `'${n}'`).join(', ')} do not belong to the spec '${spec}'`);
  return { model, spec, config, tokenizer, meta };
}

function tokenizerOf(meta: Record<string, unknown>): LmTokenizer {
  const t = meta['tokenizer'];
  if (t === undefined) {
    const vocab = meta['vocab'];
    if (!Array.isArray(vocab) || vocab.some((c) => typeof c !== 'string')) throw new UserError('meta.vocab must be an array of characters');
    return new CharTokenizer(vocab as string[]);
  }
  if (typeof t !== 'object' || t === null || (t as Record<string, unknown>)['kind'] !== 'bpe') throw new UserError('meta.tokenizer must be { kind: "bpe", tokens, merges }');
  const { tokens, merges } = t as Record<string, unknown>;
  if (!Array.isArray(tokens) || !Array.isArray(merges)) throw new UserError('meta.tokenizer.tokens and .merges must be arrays of strings');
  return new BpeTokenizer(tokens as string[], merges as string[], 'meta.tokenizer');
}

export function loadLm(path: string): LoadedLm {
  return lmFromFile(loadModelFile(path), path);
}
