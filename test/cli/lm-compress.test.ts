// `winnow compress` / `winnow infer` on a language-model file end to end: one-shot pruning and GPTQ write a
// winnow-lm file of exactly the reported bytes, which infer reads back to the same validation loss; bad
// input (sparsity outside [0, 1), N ≥ M, calibration characters outside the vocabulary, GPTQ on a float
// format) gets one line, exit 2, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLm } from '../../src/io/lm-io.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (args: string[]) => { const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' }); return { status: r.status, stderr: r.stderr, stdout: r.stdout }; };
function expectError(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.equal(r.status, 2, `expected exit 2 for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'winnow-lmc-'));
const corpus = join(dir, 'corpus.txt'), model = join(dir, 'lm.wnn');
writeFileSync(corpus, 'to be or not to be, that is the question.\n'.repeat(60));

test('compress an LM one-shot (Wanda, SparseGPT 2:4, GPTQ), infer reads the same loss back', () => {
  const t = run(['train', '--model', 'gpt:1-2-16-8', '--dataset', `text:${corpus}`, '--iterations', '60', '--eval-every', '30', '--eval-iters', '2',
    '--batch-size', '4', '--lr', '1e-2', '--store', join(dir, 'runs'), '--save', model, '--progress', 'none']);
  assert.equal(t.status, 0, t.stderr);
  for (const [name, args] of [
    ['wanda', ['--prune', 'wanda', '--sparsity', '0.5', '--format', 'int8-channel']],
    ['sgpt24', ['--prune', 'sparsegpt', '--nm', '2:4', '--format', 'fp32']],
    ['gptq', ['--quant', 'gptq', '--format', 'int4-group', '--calibration-samples', '8']],
    ['joint', ['--prune', 'sparsegpt', '--sparsity', '0.7', '--quant', 'gptq', '--format', 'int4-channel']],
  ] as const) {
    const out = join(dir, `${name}.wnn`);
    const c = run(['compress', model, ...args, '--out', out, '--json']);
    assert.equal(c.status, 0, c.stderr);
    const r = JSON.parse(c.stdout);
    assert.equal(r.kind, 'lm');
    assert.equal(statSync(out).size, r.fileBytes, `${name}: reported bytes are the file's`);
    assert.ok(r.fileBytes < r.fp32DenseBytes);
    assert.ok(Number.isFinite(r.after.loss) && r.after.loss > 0);
    const i = run(['infer', out, '--json']);
    assert.equal(i.status, 0, i.stderr);
    const inf = JSON.parse(i.stdout);
    assert.equal(inf.loss, r.after.loss, `${name}: infer reads back the loss compress measured`);
    const lm = loadLm(out);
    const blocks = lm.model.blocks.flatMap((b) => [b.attn, b.proj, b.fc, b.fcProj]);
    if (name === 'sgpt24') for (const l of blocks) {
      const w = l.weights.toDense();
      for (let g = 0; g < w.length; g += 4) assert.ok([0, 1, 2, 3].filter((j) => w[g + j] !== 0).length <= 2, `${l.name} group ${g}`);
    }
    if (name === 'wanda') for (const l of blocks) assert.ok(l.weights.density <= 0.5 + 1e-9, `${l.name} density ${l.weights.density}`);
  }
});

test('bad input to LM compression: one line, exit 2', () => {
  expectError(['compress', model, '--prune', 'wanda', '--sparsity', '1'], /--sparsity: .*\[0, 1\), got 1/);
  expectError(['compress', model, '--prune', 'wanda', '--sparsity', '-0.2'], /--sparsity: .*\[0, 1\)/);
  expectError(['compress', model, '--prune', 'sparsegpt', '--nm', '4:4'], /--nm 4:4: N must be in \[1, M\)/);
  expectError(['compress', model, '--prune', 'sparsegpt', '--nm', '5:4'], /--nm 5:4/);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'to be or not to be — that is the question; '.repeat(10));
  expectError(['compress', model, '--prune', 'wanda', '--sparsity', '0.5', '--calibration', bad], /--calibration .*bad\.txt: character "—" \(U\+2014\) at character 19 is not in the model's vocabulary/);
  expectError(['compress', model, '--quant', 'gptq', '--format', 'nvfp4'], /--format nvfp4: GPTQ rounds onto an integer grid/);
  expectError(['compress', model, '--prune', 'wanda'], /give --sparsity S or --nm N:M/);
  expectError(['infer', model, '--input', corpus], /is a language model/);
});

test('winnow compare on a language model: --lm FILE, and --model gpt:… trained here; report files and a frontier', () => {
  for (const args of [['--lm', model], ['--model', 'gpt:1-2-16-8', '--dataset', `text:${corpus}`, '--iterations', '20']]) {
    const out = mkdtempSync(join(dir, 'cmp-'));
    const r = run(['compare', ...args, '--methods', 'wanda,sparsegpt', '--sparsities', '0.5', '--dense-formats', 'fp32,int8-channel,nvfp4', '--eval-tokens', '0',
      '--calibration-samples', '8', '--no-neat', '--store', join(dir, 'cmp-runs'), '--out', out, '--json', '--progress', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const labels = j.points.map((p: { label: string }) => p.label);
    for (const want of ['dense fp32', 'dense int8-channel', 'wanda 50% fp32', 'sparsegpt 2:4 nvfp4', 'gptq int4-channel', 'sparsegpt 50% + gptq int4-channel']) assert.ok(labels.includes(want), `${want} in ${labels.join(', ')}`);
    assert.ok(j.conclusions.frontier.length > 0);
    for (const f of ['compare.md', 'compare.html', 'compare-loss-vs-bytes.svg', 'compare.json']) assert.ok(statSync(join(out, f)).size > 0, f);
  }
  const bad = run(['compare', '--lm', model, '--sparsities', '0.5,1', '--store', join(dir, 'cmp-runs')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--sparsities: .*\[0, 1\)/);
});

test('winnow compare --model gpt:… --tickets --rigl: tickets, controls and RigL × formats in the study, controls off the frontier', () => {
  const out = mkdtempSync(join(dir, 'cmp-t-'));
  const r = run(['compare', '--model', 'gpt:1-1-16-16', '--dataset', `text:${corpus}`, '--iterations', '30', '--tickets', '--rigl', '--sparsities', '0.5,0.9',
    '--methods', 'sparsegpt', '--dense-formats', 'fp32,int8-channel', '--eval-tokens', '0', '--calibration-samples', '4', '--no-neat', '--store', join(dir, 'cmp-runs'),
    '--out', out, '--json', '--progress', 'none']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const labels: string[] = j.points.map((p: { label: string }) => p.label);
  for (const m of ['imp', 'imp-reinit', 'imp-random', 'rigl']) for (const s of ['50%', '90%']) for (const f of ['fp32', 'int8-channel', 'int4-channel', 'nvfp4']) {
    assert.ok(labels.includes(`${m} ${s} ${f}`), `${m} ${s} ${f} in ${labels.join(', ')}`);
  }
  const pts = j.points as Array<{ label: string; category: string; density: number; prune: string; pattern: string; format: string }>;
  const at = (label: string) => pts.find((p) => p.label === label)!;
  // tickets, controls and RigL keep the same count of the same block matrices (embeddings dense), as the one-shot methods
  for (const s of ['50%', '90%']) for (const m of ['imp-reinit', 'imp-random', 'rigl']) assert.equal(at(`${m} ${s} fp32`).density, at(`imp ${s} fp32`).density, `${m} ${s}`);
  for (const s of ['50%', '90%']) assert.ok(Math.abs(at(`imp ${s} fp32`).density - at(`sparsegpt ${s} fp32`).density) < 0.005, s);
  assert.equal(at('imp-reinit 50% fp32').category, 'control');
  assert.ok(!j.conclusions.frontier.some((l: string) => l.startsWith('imp-')), 'controls are kept off the frontier');
  assert.ok(j.conclusions.statements.some((s: string) => /At 50% sparsity the IMP ticket .* its controls/.test(s)), j.conclusions.statements.join('\n'));
  const md = readFileSync(join(out, 'compare.md'), 'utf8');
  assert.match(md, /IMP tickets \(magnitude layerwise, rewound to iteration 2/);
  assert.match(md, /\| imp-random \|/);
});

test('bad --tickets / --rigl input: one line, exit 2', () => {
  expectError(['compare', '--lm', model, '--tickets', '--store', join(dir, 'cmp-runs')], /--tickets: .*give --model gpt:… instead of --lm/);
  expectError(['compare', '--model', 'gpt:1-1-16-16', '--dataset', `text:${corpus}`, '--iterations', '30', '--rigl', '--sparsities', '0,0.5', '--store', join(dir, 'cmp-runs')], /--sparsities: IMP levels need sparsities in \(0, 1\), got 0/);
  expectError(['compare', '--model', 'gpt:1-1-16-16', '--dataset', `text:${corpus}`, '--iterations', '30', '--tickets', '--rewind-iter', '30', '--store', join(dir, 'cmp-runs')], /--rewind-iter 30: must be below --iterations 30/);
  expectError(['compare', '--model', 'gpt:1-1-16-16', '--dataset', `text:${corpus}`, '--rewind-iter', '3', '--store', join(dir, 'cmp-runs')], /--rewind-iter: only with --tickets/);
  expectError(['compare', '--model', 'gpt:1-1-16-16', '--dataset', `text:${corpus}`, '--tickets', '--imp-strategy', 'random', '--store', join(dir, 'cmp-runs')], /--imp-strategy: expected one of layerwise, global, got 'random'/);
});
