// `winnow generate MODEL`: sample text from a language-model file (winnow train --model gpt:… --save),
// or (--eval-text FILE) measure its loss on a text file — nats and bits per character over
// non-overlapping windows of the model's context. Sampling runs on the key/value-cache decoder
// (src/nn/gpt/decode.ts; each matrix in dense, CSR or 2:4 by its pattern) while the text fits the
// context; `cache: false` recomputes the whole window every token (the reference path).
import { getBackend } from '../../backend/index.js';
import { loadLm } from '../../io/lm-io.js';
import { GptDecoder } from '../../nn/gpt/decode.js';
import { generateTokens } from '../../nn/gpt/generate.js';
import { splitLoss, LN2 } from '../../train/lm.js';
import { readUserFile } from '../../util/read.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export interface GenerateOptions {
  prompt?: string; tokens: number; temperature: number; topK: number; seed: number; backend: 'native' | 'reference';
  evalText?: string; batch?: number; warn?: (msg: string) => void; onText?: (s: string) => void;
  /** default true: the key/value cache while the text fits the context */
  cache?: boolean;
}
export interface Generated {
  model: string; spec: string; prompt: string; text: string; tokens: number; seed: number; temperature: number; topK: number;
  /** preparing the decoder's matrices, then sampling (tokensPerSecond counts the sampling only) */
  prepareMilliseconds: number; milliseconds: number; tokensPerSecond: number;
  /** 'cached' (key/value cache, then the sliding window past the context) or 'full' */
  decoding: 'cached' | 'full';
  /** how many weight matrices run in each batch-1 format (cached decoding) */
  formats: Record<string, number>;
}
export interface TextEval { model: string; spec: string; file: string; characters: number; loss: number; bitsPerChar: number; milliseconds: number }

export function generateText(modelPath: string, o: GenerateOptions): Generated {
  const lm = loadLm(modelPath);
  const be = getBackend(o.backend, { warn: o.warn });
  const chars = lm.tokenizer.chars;
  const prompt = o.prompt ?? (chars.includes('\n') ? '\n' : chars[0]!);
  if (prompt.length === 0) throw new UserError('--prompt: give at least one character');
  const ids = lm.tokenizer.encode(prompt, '--prompt');
  const decoding = o.cache === false ? 'full' : 'cached';
  const formats: Record<string, number> = {};
  const t0 = performance.now();
  const decoder = decoding === 'cached' && o.tokens > 0 ? new GptDecoder(be, lm.model) : undefined;
  for (const m of decoder?.matrices() ?? []) formats[m.format] = (formats[m.format] ?? 0) + 1;
  const t1 = performance.now();
  const out = generateTokens(be, lm.model, ids, { tokens: o.tokens, temperature: o.temperature, topK: o.topK, mode: decoding, ...(decoder ? { decoder } : {}) },
    new Rng(o.seed).stream('sample'), o.onText ? (id) => o.onText!(lm.tokenizer.decode([id])) : undefined);
  const milliseconds = performance.now() - t1;
  return { model: modelPath, spec: lm.spec, prompt, text: lm.tokenizer.decode(out), tokens: o.tokens, seed: o.seed, temperature: o.temperature, topK: o.topK,
    prepareMilliseconds: t1 - t0, milliseconds, tokensPerSecond: milliseconds > 0 ? o.tokens / (milliseconds / 1000) : 0, decoding, formats };
}

export function evaluateText(modelPath: string, file: string, o: { backend: 'native' | 'reference'; batch?: number; warn?: (msg: string) => void }): TextEval {
  const lm = loadLm(modelPath);
  const be = getBackend(o.backend, { warn: o.warn });
  let text: string;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(readUserFile(file, `--eval-text ${file}`)); } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`--eval-text ${file}: not valid UTF-8 text`);
  }
  const ids = lm.tokenizer.encode(text, `--eval-text ${file}`);
  if (ids.length < 2) throw new UserError(`--eval-text ${file}: needs at least 2 characters, found ${ids.length}`);
  const t0 = performance.now();
  const r = splitLoss(be, lm.model, ids, o.batch ?? 16);
  return { model: modelPath, spec: lm.spec, file, characters: r.tokens, loss: r.loss, bitsPerChar: r.loss / LN2, milliseconds: performance.now() - t0 };
}
