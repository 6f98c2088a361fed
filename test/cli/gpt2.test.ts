// GPT-2 checkpoints end to end: `winnow import-weights --gpt2 DIR` turns the peer's tiny GPT-2
// (test/fixtures/gpt2-tiny, bench/pytorch_gpt2.py) into an LM file holding the model and its BPE tokenizer;
// `winnow generate` samples from it deterministically per seed and `--eval-text` gives the peer's loss
// (nats per token) and perplexity. Bad input — missing tokenizer files, misshapen or missing tensors, a
// context longer than the model's, flags that do not belong together — is one line, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLm } from '../../src/io/lm-io.js';
import { loadModelFile, serializeModelFile } from '../../src/io/modelfile.js';
import { importSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny/', import.meta.url));
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { text: string; ids: number[]; evalLoss: number; evalTokens: number; evalPerplexity: number };
const run = (args: string[]): { status: number | null; stderr: string; stdout: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
};
function expectError(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.equal(r.status, 2, `exit status for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^winnow: /);
}

const dir = mkdtempSync(join(tmpdir(), 'winnow-gpt2-'));
const lm = join(dir, 'tiny.wnn'), text = join(dir, 'test.txt');
writeFileSync(text, expected.text);

test('import-weights --gpt2 → an LM file with the BPE tokenizer; generate; perplexity equals the peer', () => {
  const r = run(['import-weights', '--gpt2', fixture, '--out', lm, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.spec, 'gpt:2-2-32-32');
  assert.equal(rep.tokenizer.tokens, 407);
  const loaded = loadLm(lm);
  assert.equal(loaded.tokenizer.kind, 'bpe');
  assert.deepEqual(Array.from(loaded.tokenizer.encode(expected.text, 'x')), expected.ids);
  const e = run(['generate', lm, '--eval-text', text, '--json']);
  assert.equal(e.status, 0, e.stderr);
  const ev = JSON.parse(e.stdout);
  assert.equal(ev.tokens, expected.evalTokens);
  assert.ok(Math.abs(ev.loss - expected.evalLoss) < 1e-5, `loss ${ev.loss} vs the peer's ${expected.evalLoss}`);
  assert.ok(Math.abs(ev.perplexity / expected.evalPerplexity - 1) < 1e-4);
  const short = JSON.parse(run(['generate', lm, '--eval-text', text, '--context', '16', '--json']).stdout);
  assert.equal(short.context, 16);
  assert.equal(short.tokens, Math.floor((expected.ids.length - 1) / 16) * 16);
  const g = (seed: string): string => { const o = run(['generate', lm, '--prompt', "ROMEO: it's", '--tokens', '20', '--top-k', '10', '--seed', seed]); assert.equal(o.status, 0, o.stderr); return o.stdout; };
  assert.equal(g('4'), g('4'));
  assert.ok(g('4').startsWith("ROMEO: it's"));
  const d = run(['generate', lm, '--tokens', '5', '--temperature', '0', '--json']);
  assert.equal(JSON.parse(d.stdout).prompt, '<|endoftext|>'); // GPT-2's default start
});

test('without --model, a checkpoint naming wte.weight is recognized as GPT-2', () => {
  const r = run(['import-weights', fixture, '--out', join(dir, 'auto.wnn'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).spec, 'gpt:2-2-32-32');
  assert.equal(run(['import-weights', join(fixture, 'model.safetensors'), '--out', join(dir, 'auto2.wnn')]).status, 0);
});

test('bad input: one line naming the file, tensor or flag', () => {
  expectError(['generate', lm, '--eval-text', text, '--context', '64'], /--context 64: longer than the model's context of 32 tokens \(gpt:2-2-32-32\)/);
  expectError(['generate', lm, '--context', '8'], /--context: only with --eval-text/);
  expectError(['import-weights', join(fixture, 'expected.safetensors'), '--out', join(dir, 'x.wnn')], /--model: required .*or --gpt2/);
  expectError(['import-weights', '--gpt2', fixture, '--model', 'lenet300', '--out', join(dir, 'x.wnn')], /--model: not used with --gpt2/);
  expectError(['import-weights', '--gpt2', join(dir, 'nowhere'), '--out', join(dir, 'x.wnn')], /--gpt2 .*nowhere: no such file or directory/);
  // a checkpoint directory without merges.txt, then with a misshapen and a missing tensor
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  for (const f of ['vocab.json', 'config.json']) copyFileSync(join(fixture, f), join(bad, f));
  const st = importSafetensors(join(fixture, 'model.safetensors'));
  writeFileSync(join(bad, 'model.safetensors'), serializeSafetensors(st.tensors));
  expectError(['import-weights', '--gpt2', bad, '--out', join(dir, 'x.wnn')], /merges\.txt is missing in .*bad/);
  copyFileSync(join(fixture, 'merges.txt'), join(bad, 'merges.txt'));
  writeFileSync(join(bad, 'model.safetensors'), serializeSafetensors(st.tensors.map((t) => t.name === 'h.1.attn.c_proj.weight' ? { ...t, shape: [16, 64] } : t)));
  expectError(['import-weights', '--gpt2', bad, '--out', join(dir, 'x.wnn')], /model\.safetensors: tensor 'h\.1\.attn\.c_proj\.weight' has shape \[16, 64\], expected \[32, 32\]/);
  writeFileSync(join(bad, 'model.safetensors'), serializeSafetensors(st.tensors.filter((t) => t.name !== 'h.0.ln_2.weight')));
  expectError(['import-weights', '--gpt2', bad, '--out', join(dir, 'x.wnn')], /model\.safetensors: tensor 'h\.0\.ln_2\.weight' is missing \(expected \[32\]\)/);
  // an LM file whose stored tokenizer is damaged
  const file = loadModelFile(lm), tok = file.meta['tokenizer'] as { tokens: string[]; merges: string[] };
  const damaged = (name: string, meta: Record<string, unknown>): string => { const p = join(dir, name); writeFileSync(p, serializeModelFile(file.tensors, { ...file.meta, ...meta })); return p; };
  expectError(['generate', damaged('m1.wnn', { tokenizer: { ...tok, merges: ['q z'] } })], /m1\.wnn: meta\.tokenizer: merge 1 "q z" makes "qz", which is not in the vocabulary/);
  expectError(['generate', damaged('m2.wnn', { vocabSize: 300 })], /m2\.wnn: meta\.vocabSize must be an integer ≥ the tokenizer's 407 tokens, found 300/);
  expectError(['generate', damaged('m3.wnn', { tokenizer: { kind: 'wordpiece' } })], /m3\.wnn: meta\.tokenizer must be \{ kind: "bpe", tokens, merges \}/);
});
