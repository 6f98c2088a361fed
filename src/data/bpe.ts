// GPT-2's byte-level BPE tokenizer (openai/gpt-2 src/encoder.py; Hugging Face GPT2Tokenizer), from
// `vocab.json` (token → id) and `merges.txt` ("#version" line, then one merge "a b" per line, by rank):
//   1. "<|endoftext|>" (when the vocabulary has it) is one token, never split (as Hugging Face does);
//   2. the pre-tokenizer cuts the text with GPT-2's pattern
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//      where \s is the Unicode White_Space property (what the `regex` module and HF's tokenizers match;
//      JavaScript's own \s differs on U+0085 and U+FEFF);
//   3. each piece's UTF-8 bytes become printable characters (bytes_to_unicode), and the lowest-ranked
//      adjacent pair is merged repeatedly until no pair has a rank (encoder.py's `bpe`).
// Decoding concatenates the tokens, maps the characters back to bytes and decodes UTF-8 with U+FFFD for
// broken sequences (encoder.py's errors='replace'). Every byte has a token, so encoding cannot fail.
// Checked against bench/pytorch_gpt2.py (test/fixtures/gpt2-tiny) in test/data/bpe.test.ts.
import { UserError } from '../util/errors.js';
import { readUserFile } from '../util/read.js';
import type { Tokenizer } from './tokenizer.js';

export const END_OF_TEXT = '<|endoftext|>';
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
const MAX_VOCAB = 1 << 20;
const MAX_FILE_BYTES = 256 * 2 ** 20;

/** encoder.py's bytes_to_unicode: printable bytes keep their character, the others go to 256, 257, …. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

/** GPT-2's pre-tokens of text (no special-token handling). */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly byteChar = bytesToUnicode();
  private readonly charByte = new Map<string, number>(this.byteChar.map((c, b) => [c, b]));
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextEncoder();
  private readonly endOfText: number | undefined;

  /** tokens in id order; merges by rank, each "a b". `where` names the source in errors. */
  constructor(readonly tokens: readonly string[], readonly merges: readonly string[], where = 'tokenizer') {
    if (tokens.length > MAX_VOCAB) throw new UserError(`${where}: ${tokens.length} tokens exceed the limit of ${MAX_VOCAB}`);
    tokens.forEach((t, i) => {
      if (typeof t !== 'string' || t.length === 0) throw new UserError(`${where}: token ${i} must be a non-empty string`);
      if (this.ids.has(t)) throw new UserError(`${where}: token ${JSON.stringify(t)} has two ids (${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
    this.byteChar.forEach((c, b) => {
      if (!this.ids.has(c)) throw new UserError(`${where}: byte 0x${b.toString(16).padStart(2, '0')} (token ${JSON.stringify(c)}) is not in the vocabulary; byte-level BPE needs all 256 bytes`);
    });
    merges.forEach((m, r) => {
      const parts = typeof m === 'string' ? m.split(' ') : [];
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UserError(`${where}: merge ${r + 1} must be two tokens separated by one space, found ${JSON.stringify(m)}`);
      if (!this.ids.has(parts[0] + parts[1])) throw new UserError(`${where}: merge ${r + 1} ${JSON.stringify(m)} makes ${JSON.stringify(parts[0] + parts[1])}, which is not in the vocabulary`);
      this.ranks.set(m, r); // a repeated merge keeps its last rank, as encoder.py's dict(zip(merges, range(n)))
    });
    this.endOfText = this.ids.get(END_OF_TEXT);
  }

  /** Reads Hugging Face's vocab.json and merges.txt. */
  static fromFiles(vocabPath: string, mergesPath: string): BpeTokenizer {
    const vocabText = readUserFile(vocabPath, vocabPath, { maxBytes: MAX_FILE_BYTES }).toString('utf8');
    let raw: unknown;
    try { raw = JSON.parse(vocabText); } catch (e) { throw new UserError(`${vocabPath}: not valid JSON (${(e as Error).message})`); }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${vocabPath}: expected a JSON object of token → id`);
    const entries = Object.entries(raw as Record<string, unknown>);
    if (entries.length > MAX_VOCAB) throw new UserError(`${vocabPath}: ${entries.length} tokens exceed the limit of ${MAX_VOCAB}`);
    const tokens = new Array<string | undefined>(entries.length);
    for (const [t, id] of entries) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length) {
        throw new UserError(`${vocabPath}: token ${JSON.stringify(t)} has id ${JSON.stringify(id)}, expected an integer in [0, ${entries.length - 1}] (ids 0 … n−1, each once)`);
      }
      if (tokens[id as number] !== undefined) throw new UserError(`${vocabPath}: id ${id} is given to both ${JSON.stringify(tokens[id as number])} and ${JSON.stringify(t)}`);
      tokens[id as number] = t;
    }
    const lines = readUserFile(mergesPath, mergesPath, { maxBytes: MAX_FILE_BYTES }).toString('utf8').split(/\r?\n/);
    const merges = lines.filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
    // merge line numbers in errors count from the first merge; name both files
    return new BpeTokenizer(tokens as string[], merges, `${vocabPath} + ${mergesPath}`);
  }

  get size(): number { return this.tokens.length; }
  /** The id of "<|endoftext|>", when the vocabulary has it. */
  get endOfTextId(): number | undefined { return this.endOfText; }

  /** encoder.py's bpe(): the token ids of one pre-token (cached by the pre-token's text). */
  private bpe(pre: string): number[] {
    const hit = this.cache.get(pre);
    if (hit) return hit;
    let parts: string[] = [];
    for (const b of this.utf8.encode(pre)) parts.push(this.byteChar[b]!);
    while (parts.length > 1) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      const a = parts[best]!, b = parts[best + 1]!, merged: string[] = [];
      for (let i = 0; i < parts.length;) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) { merged.push(a + b); i += 2; } else merged.push(parts[i++]!);
      }
      parts = merged;
    }
    const ids = parts.map((p) => this.ids.get(p)!);
    if (this.cache.size < 1 << 16) this.cache.set(pre, ids);
    return ids;
  }

  /** Token ids of text (`where` is unused: every text encodes). */
  encode(text: string, _where = 'text'): Int32Array {
    const out: number[] = [];
    const pieces = this.endOfText === undefined ? [text] : text.split(END_OF_TEXT);
    pieces.forEach((piece, k) => {
      if (k > 0) out.push(this.endOfText!);
      for (const pre of pretokenize(piece)) for (const id of this.bpe(pre)) out.push(id);
    });
    return Int32Array.from(out);
  }

  /** Text of token ids; ids outside the vocabulary decode to U+FFFD, broken UTF-8 too. */
  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    const utf8 = new TextEncoder();
    for (let i = 0; i < ids.length; i++) {
      const t = this.tokens[ids[i]!];
      if (t === undefined) { bytes.push(0xef, 0xbf, 0xbd); continue; }
      for (const c of t) {
        const b = this.charByte.get(c);
        if (b !== undefined) bytes.push(b); else bytes.push(...utf8.encode(c)); // an added token's own characters
      }
    }
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(bytes)); // a leading U+FEFF is text here
  }
}
