// Character-level text data for language models: `shakespeare-char` (tinyshakespeare, 1,115,394
// characters, shipped in data/embedded/shakespeare-char/) or `text:FILE` (UTF-8). The vocabulary is
// the sorted set of code points (as nanoGPT's data/shakespeare_char/prepare.py); the first 90% of the
// characters train, the rest validate. A model file carries its vocabulary; text read for such a model
// must stay inside it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedDir } from './locate.js';
import { readUserFile } from '../util/read.js';
import { UserError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Tokenizer } from './tokenizer.js';

export const TEXT_DATASETS = ['shakespeare-char'] as const;
const MAX_TEXT_BYTES = 1 << 30;

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  private readonly index = new Map<string, number>();
  constructor(readonly chars: readonly string[]) {
    chars.forEach((c, i) => {
      if ([...c].length !== 1) throw new UserError(`vocabulary entry ${i} is not one character: ${JSON.stringify(c)}`);
      if (this.index.has(c)) throw new UserError(`vocabulary entry ${i} repeats ${JSON.stringify(c)}`);
      this.index.set(c, i);
    });
  }
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer([...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }
  get size(): number { return this.chars.length; }
  /** Token ids of text; a character outside the vocabulary is a UserError naming `where` and the position. */
  encode(text: string, where: string): Int32Array {
    const cps = Array.from(text);
    const out = new Int32Array(cps.length);
    for (let i = 0; i < cps.length; i++) {
      const id = this.index.get(cps[i]!);
      if (id === undefined) throw new UserError(`${where}: character ${JSON.stringify(cps[i])} (U+${cps[i]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at character ${i} is not in the model's vocabulary of ${this.size}`);
      out[i] = id;
    }
    return out;
  }
  decode(ids: ArrayLike<number>): string { let s = ''; for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]!] ?? '\uFFFD'; return s; }
}

export interface TextDataset<T extends Tokenizer = CharTokenizer> {
  name: string;
  source: string;
  tokenizer: T;
  train: Int32Array;
  val: Int32Array;
}

export function isTextDatasetSpec(spec: string): boolean {
  return spec.startsWith('text:') || (TEXT_DATASETS as readonly string[]).includes(spec);
}

/** Reads a text dataset; with a tokenizer (a trained model's), its vocabulary is kept and checked. */
export function loadTextDataset<T extends Tokenizer = CharTokenizer>(spec: string, opts: { tokenizer?: T; flag?: string } = {}): TextDataset<T> {
  const flag = opts.flag ?? '--dataset';
  let path: string;
  if (spec === 'shakespeare-char') {
    path = join(embeddedDir('shakespeare-char'), 'input.txt');
    if (!existsSync(path)) throw new UserError(`${flag} shakespeare-char: the embedded file ${path} is missing (reinstall winnow)`);
  } else if (spec.startsWith('text:')) {
    path = spec.slice(5);
    if (!path) throw new UserError(`${flag} ${spec}: expected text:FILE`);
  } else {
    throw new UserError(`${flag} ${spec}: expected shakespeare-char or text:FILE`);
  }
  const bytes = readUserFile(path, `${flag} ${spec}`, { maxBytes: MAX_TEXT_BYTES });
  let text: string;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { throw new UserError(`${flag} ${spec}: ${path} is not valid UTF-8 text`); }
  const tokenizer = opts.tokenizer ?? (CharTokenizer.fromText(text) as Tokenizer as T);
  const ids = tokenizer.encode(text, path);
  const n = Math.floor(ids.length * 0.9);
  if (n < 2 || ids.length - n < 2) throw new UserError(`${flag} ${spec}: ${path} holds ${ids.length} characters, too few to split 90/10 into training and validation`);
  return { name: spec, source: spec === 'shakespeare-char' ? 'embedded' : path, tokenizer, train: ids.subarray(0, n), val: ids.subarray(n) };
}

/** A random batch as nanoGPT's get_batch: B windows at uniform offsets in [0, len − T), targets shifted by one. Column b·T + t. */
export function sampleBatch(data: Int32Array, B: number, T: number, rng: Rng, x: Int32Array, y: Int32Array): void {
  if (data.length <= T) throw new UserError(`the split holds ${data.length} tokens, not more than the context of ${T}`);
  for (let b = 0; b < B; b++) {
    const o = rng.int(data.length - T);
    for (let t = 0; t < T; t++) { x[b * T + t] = data[o + t]!; y[b * T + t] = data[o + t + 1]!; }
  }
}
