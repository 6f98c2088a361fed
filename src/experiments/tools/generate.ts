// `winnow generate MODEL`: sample text from a language-model file (winnow train --model gpt:… --save, or
// winnow import-weights --gpt2), or (--eval-text FILE) measure its loss on a text file: nats per token and
// perplexity over non-overlapping windows of the model's context (or --context), as the training's
// whole-split loss; a character-level model's tokens are characters, so its bits per token are bits per
// character. Sampling runs on the key/value-cache decoder (src/nn/gpt/decode.ts: one fused native step per
// token, each matrix dense, sliced ELL or 2:4 by its pattern and density) while the text fits the context; `cache: false` recomputes the whole window
// every token (the reference path).
import { getBackend } from '../../backend/index.js';
import { END_OF_TEXT } from '../../data/bpe.js';
import { loadLm, type LoadedLm } from '../../io/lm-io.js';
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
export interface TextEval {
  model: string; spec: string; file: string; tokenizer: 'char' | 'bpe'; context: number;
  /** tokens predicted (every token of the file but the first, cut to whole windows) */
  tokens: number;
  /** mean loss, nats per token */
  loss: number; perplexity: number; bitsPerToken: number;
  /** character-level models: characters predicted and bits per character (= tokens, bits per token) */
  characters?: number; bitsPerChar?: number;
  milliseconds: number;
}

/** The evaluation window: the model's context, or a shorter one asked for; longer is an error. */
function contextOf(lm: LoadedLm, asked: number | undefined): number {
  const c = lm.config.context;
  if (asked === undefined) return c;
  if (!(Number.isInteger(asked) && asked >= 1)) throw new UserError(`--context ${asked}: expected a positive integer`);
  if (asked > c) throw new UserError(`--context ${asked}: longer than the model's context of ${c} tokens (${lm.spec})`);
  return asked;
}

export function generateText(modelPath: string, o: GenerateOptions): Generated {
  const lm = loadLm(modelPath);
  const be = getBackend(o.backend, { warn: o.warn });
  const tk = lm.tokenizer;
  const prompt = o.prompt ?? (tk.kind === 'bpe' ? (tk.endOfTextId !== undefined ? END_OF_TEXT : '\n') : tk.chars.includes('\n') ? '\n' : tk.chars[0]!);
  if (prompt.length === 0) throw new UserError('--prompt: give at least one character');
  const ids = tk.encode(prompt, '--prompt');
  const decoding = o.cache === false ? 'full' : 'cached';
  const formats: Record<string, number> = {};
  const t0 = performance.now();
  const decoder = decoding === 'cached' && o.tokens > 0 ? new GptDecoder(be, lm.model) : undefined;
  for (const m of decoder?.matrices() ?? []) formats[m.format] = (formats[m.format] ?? 0) + 1;
  const t1 = performance.now();
  const out = generateTokens(be, lm.model, ids, { tokens: o.tokens, temperature: o.temperature, topK: o.topK, mode: decoding, ...(decoder ? { decoder } : {}) },
    new Rng(o.seed).stream('sample'), o.onText ? (id) => o.onText!(tk.decode([id])) : undefined);
  const milliseconds = performance.now() - t1;
  return { model: modelPath, spec: lm.spec, prompt, text: tk.decode(out), tokens: o.tokens, seed: o.seed, temperature: o.temperature, topK: o.topK,
    prepareMilliseconds: t1 - t0, milliseconds, tokensPerSecond: milliseconds > 0 ? o.tokens / (milliseconds / 1000) : 0, decoding, formats };
}

export function evaluateText(modelPath: string, file: string, o: { backend: 'native' | 'reference'; batch?: number; context?: number; warn?: (msg: string) => void }): TextEval {
  const lm = loadLm(modelPath);
  const be = getBackend(o.backend, { warn: o.warn });
  const context = contextOf(lm, o.context);
  let text: string;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(readUserFile(file, `--eval-text ${file}`)); } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`--eval-text ${file}: not valid UTF-8 text`);
  }
  const ids = lm.tokenizer.encode(text, `--eval-text ${file}`);
  if (ids.length < 2) throw new UserError(`--eval-text ${file}: needs at least 2 tokens, found ${ids.length}`);
  // a batch's logits are vocab × B·T floats: keep them near 128 MiB for large vocabularies
  const batch = o.batch ?? Math.max(1, Math.min(16, Math.floor(2 ** 25 / (lm.config.vocab * context))));
  const t0 = performance.now();
  const r = splitLoss(be, lm.model, ids, batch, context);
  const chars = lm.tokenizer.kind === 'char' ? { characters: r.tokens, bitsPerChar: r.loss / LN2 } : {};
  return {
    model: modelPath, spec: lm.spec, file, tokenizer: lm.tokenizer.kind, context: Math.min(context, ids.length - 1), tokens: r.tokens, loss: r.loss,
    perplexity: Math.exp(r.loss), bitsPerToken: r.loss / LN2, ...chars, milliseconds: performance.now() - t0,
  };
}
