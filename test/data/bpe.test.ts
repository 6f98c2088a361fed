// GPT-2's byte-level BPE against the PyTorch peer's tokenizer (bench/pytorch_gpt2.py: openai/gpt-2's
// encoder.py with the pre-tokenizer matched by hand): the same pre-tokens and token ids on a text with
// unicode, whitespace runs, contractions and <|endoftext|>; decode(encode(x)) = x on that text and on random
// strings; malformed vocab.json / merges.txt are one-line errors naming the file and the entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpeTokenizer, bytesToUnicode, END_OF_TEXT, pretokenize } from '../../src/data/bpe.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny/', import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { text: string; ids: number[]; pretokens: string[] };
const tk = BpeTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));

test('bytes_to_unicode: 256 distinct characters, printable bytes map to themselves', () => {
  const m = bytesToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[0x41], 'A');
  assert.equal(m[0x20], 'Ġ'); // GPT-2's space
  assert.equal(m[0x0a], 'Ċ');
});

test('pre-tokens and token ids identical to the peer', () => {
  const pieces = expected.text.split(END_OF_TEXT).flatMap((p, k) => [...(k ? [END_OF_TEXT] : []), ...pretokenize(p)]);
  assert.deepEqual(pieces, expected.pretokens);
  assert.deepEqual(Array.from(tk.encode(expected.text, 'x')), expected.ids);
  assert.equal(tk.size, 407);
  assert.equal(tk.endOfTextId, 406);
});

test('the pattern backtracks like the regex: \\s+(?!\\S) leaves the last space to the next word', () => {
  assert.deepEqual(pretokenize('a  b'), ['a', ' ', ' b']);
  assert.deepEqual(pretokenize('a \n b'), ['a', ' \n', ' b']);
  assert.deepEqual(pretokenize('x  '), ['x', '  ']);
  assert.deepEqual(pretokenize('\n\nx'), ['\n', '\n', 'x']);
  assert.deepEqual(pretokenize("it's 'em DON'T"), ['it', "'s", " '", 'em', ' DON', "'", 'T']);
  assert.deepEqual(pretokenize('x\u00a0\u3000y 42½'), ['x', '\u00a0', '\u3000', 'y', ' 42½']); // White_Space, and \p{N} takes ½
  assert.deepEqual(pretokenize('\ufeffa'), ['\ufeff', 'a']); // U+FEFF is not White_Space (JavaScript's \s would say it is)
});

test('decode(encode(x)) = x on the test text and on random strings', () => {
  assert.equal(tk.decode(tk.encode(expected.text, 'x')), expected.text);
  const rng = new Rng(5).stream('bpe');
  const alphabet = [...'ab eTt\'s\n\t  0123', '\u00e9', '\u4e2d', '\u{1F600}', '\u00a0', '\u3000', '\u0085', '\ufeff', '\u0301', END_OF_TEXT, '<|', "'ll"];
  for (let k = 0; k < 300; k++) {
    let s = '';
    const n = Math.floor(rng.next() * 40);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)]!;
    const ids = tk.encode(s, 'x');
    assert.equal(tk.decode(ids), s, JSON.stringify(s));
    assert.ok(ids.every((id) => id >= 0 && id < tk.size));
  }
  assert.equal(tk.decode([9999]), '\uFFFD');
});

test('malformed vocab.json / merges.txt: one-line errors naming the file and entry', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'winnow-bpe-'));
  const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
  const merges = join(dir, 'merges.txt');
  const write = (name: string, v: unknown): string => { const p = join(tmp, name); writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v)); return p; };
  const fails = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), String(re));
  };
  fails(() => BpeTokenizer.fromFiles(write('a.json', '{"a": 1'), merges), /a\.json: not valid JSON/);
  fails(() => BpeTokenizer.fromFiles(write('b.json', { ...vocab, Ġt: 5000 }), merges), /b\.json: token "Ġt" has id 5000, expected an integer in \[0, 406\]/);
  const { Ċ: _drop, ...noNewline } = vocab;
  fails(() => BpeTokenizer.fromFiles(write('c.json', { ...noNewline, extra: vocab['Ċ'] }), merges), /byte 0x0a \(token "Ċ"\) is not in the vocabulary/);
  fails(() => BpeTokenizer.fromFiles(join(dir, 'vocab.json'), write('m1.txt', '#version: 0.2\nĠ t\nh e e\n')), /m1\.txt: merge 2 must be two tokens separated by one space, found "h e e"/);
  fails(() => BpeTokenizer.fromFiles(join(dir, 'vocab.json'), write('m2.txt', '#version: 0.2\nq z\n')), /merge 1 "q z" makes "qz", which is not in the vocabulary/);
  fails(() => BpeTokenizer.fromFiles(join(tmp, 'nope.json'), merges), /nope\.json: cannot read \(no such file/);
});
