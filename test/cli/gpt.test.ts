// The language-model commands end to end: `winnow train --model gpt:… --dataset text:FILE` stores a run
// and a model file holding the LM and its vocabulary; `winnow generate` samples deterministically per seed
// and evaluates text; bad input (characters outside the vocabulary, missing or misshapen tensors, bad
// specs) gets one line and a non-zero exit, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelFile, serializeModelFile } from '../../src/io/modelfile.js';
import { loadLm } from '../../src/io/lm-io.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (args: string[]): { status: number | null; stderr: string; stdout: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
};
function expectError(args: string[], pattern: RegExp, startsRun = false): void {
  const r = run(args);
  assert.notEqual(r.status, 0, `expected failure for ${args.join(' ')}`);
  assert.match(r.stderr, pattern, `stderr for ${args.join(' ')}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace: ${r.stderr}`);
  // an error found once the run has started (a file read by the job) follows the run's progress lines
  const lines = r.stderr.trim().split('\n');
  if (startsRun) assert.match(lines[lines.length - 1]!, pattern); else assert.equal(lines.length, 1, `one line: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'winnow-gpt-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'to be or not to be, that is the question.\n'.repeat(60));
const store = join(dir, 'runs'), model = join(dir, 'lm.wnn');

test('train a gpt on text:FILE, save it, generate and evaluate', () => {
  const r = run(['train', '--model', 'gpt:1-2-16-8', '--dataset', `text:${corpus}`, '--iterations', '60', '--eval-every', '30', '--eval-iters', '2',
    '--batch-size', '4', '--lr', '1e-2', '--store', store, '--save', model, '--json', '--progress', 'none']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.kind, 'lm');
  assert.equal(s.vocab, 16);
  assert.ok(s.final.valLoss < 2.4, `validation loss ${s.final.valLoss} (uniform would be ln 16 = 2.77)`);
  assert.ok(Math.abs(s.final.valBitsPerChar - s.final.valLoss / Math.LN2) < 1e-9);
  const lm = loadLm(model);
  assert.equal(lm.spec, 'gpt:1-2-16-8');
  assert.equal(lm.tokenizer.decode(lm.tokenizer.encode('to be', 'x')), 'to be');
  const g = (seed: string): string => { const o = run(['generate', model, '--prompt', 'to ', '--tokens', '30', '--temperature', '0.8', '--top-k', '5', '--seed', seed]); assert.equal(o.status, 0, o.stderr); return o.stdout; };
  assert.equal(g('3'), g('3'));
  assert.ok(g('3').startsWith('to ') && g('3').length === 3 + 30 + 1);
  // the key/value cache (default; context 8, so 30 characters also slide the window) gives the text of recomputing every step
  const j = (extra: string[]) => JSON.parse(run(['generate', model, '--prompt', 'to ', '--tokens', '30', '--temperature', '0.8', '--top-k', '5', '--seed', '3', '--json', ...extra]).stdout);
  const cached = j([]), full = j(['--no-cache']);
  assert.equal(cached.text, full.text);
  assert.equal(cached.decoding, 'cached'); assert.equal(full.decoding, 'full');
  assert.deepEqual(cached.formats, { dense: 5 });
  assert.ok(cached.tokensPerSecond > 0);
  // exported to ONNX (the GPT graph) and to safetensors (every parameter)
  const onnx = join(dir, 'lm.onnx');
  const x = run(['export', model, '--to', 'onnx', '--out', onnx, '--json']);
  assert.equal(x.status, 0, x.stderr);
  assert.equal(JSON.parse(x.stdout).spec, 'gpt:1-2-16-8');
  assert.equal(readFileSync(onnx).subarray(0, 64).includes(Buffer.from('winnow')), true);
  const st = run(['export', model, '--to', 'safetensors', '--out', join(dir, 'lm.safetensors'), '--json']);
  assert.equal(st.status, 0, st.stderr);
  const e = run(['generate', model, '--eval-text', corpus, '--json']);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(JSON.parse(e.stdout).loss < 2.4);
  // rerunning the same command reads the run back
  const again = run(['train', '--model', 'gpt:1-2-16-8', '--dataset', `text:${corpus}`, '--iterations', '60', '--eval-every', '30', '--eval-iters', '2',
    '--batch-size', '4', '--lr', '1e-2', '--store', store, '--json', '--progress', 'none']);
  assert.equal(JSON.parse(again.stdout).final.valLoss, s.final.valLoss);
});

test('bad input: one line naming the flag or file', () => {
  const alien = join(dir, 'alien.txt');
  writeFileSync(alien, 'to be or not to bé');
  expectError(['generate', model, '--eval-text', alien], /alien\.txt: character "é" \(U\+00E9\) at character 17 is not in the model's vocabulary of 16/);
  expectError(['generate', model, '--prompt', 'Zebra'], /--prompt: character "Z"/);
  expectError(['train', '--model', 'gpt:2-3-8-4', '--dataset', `text:${corpus}`, '--store', store], /not a multiple of the 3 heads/);
  expectError(['train', '--model', 'gpt:1-1-8-4', '--dataset', 'fashion-mnist-mini', '--store', store], /needs text/);
  expectError(['train', '--model', 'lenet300', '--dataset', 'shakespeare-char', '--store', store], /text datasets train language models/);
  expectError(['train', '--model', 'gpt:1-1-8-4', '--dataset', join(dir, 'nope.txt'), '--store', store], /needs text \(shakespeare-char or text:FILE\)/);
  expectError(['train', '--model', 'gpt:1-1-8-4', '--dataset', 'text:' + join(dir, 'nope.txt'), '--store', store], /nope\.txt/, true);
  const file = loadModelFile(model);
  const missing = join(dir, 'missing.wnn'), misshapen = join(dir, 'misshapen.wnn');
  writeFileSync(missing, serializeModelFile(file.tensors.filter((t) => t.name !== 'h.0.mlp.c_fc.weight'), file.meta));
  expectError(['generate', missing], /tensor 'h\.0\.mlp\.c_fc\.weight' is missing/);
  writeFileSync(misshapen, serializeModelFile(file.tensors, { ...file.meta, spec: 'gpt:1-2-16-4' }));
  expectError(['generate', misshapen], /tensor 'wpe\.weight' has shape \[8, 16\], the spec 'gpt:1-2-16-4' needs \[4, 16\]/);
});
