// `winnow compress` and `winnow infer` end to end on a tiny synthetic model: the written file's size is
// the reported size, accuracy is measured before and after, and bad input gives a one-line error with a
// non-zero exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../../src/backend/index.js';
import { argmaxRows, predictRows, saveModel } from '../../src/io/model-io.js';
import { INFO, randomInputs, tinyModel } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'winnow-cli-compress-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'tiny.wnn');
saveModel(model, tinyModel(11), INFO);

function winnow(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('compress writes the file it reports, with accuracy before and after', () => {
  const out = join(dir, 'tiny.nvfp4.wnn');
  const r = winnow('compress', model, '--format', 'nvfp4', '--encoding', 'auto', '--out', out, '--json', '--backend', 'reference');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.fileBytes, statSync(out).size);
  assert.ok(j.fileBytes < j.fp32DenseBytes, 'nvfp4 smaller than fp32 dense');
  assert.equal(j.tensors.length, 6);
  for (const t of j.tensors) assert.equal(t.bytes, t.indexBytes + t.codeBytes + t.scaleBytes);
  assert.equal(j.tensors.find((t: { name: string }) => t.name === 'fc1.weight').encoding !== 'dense', true, '20%-dense layer stored sparse');
  assert.ok(j.before.testAccuracy >= 0 && j.before.testAccuracy <= 1 && j.after.testAccuracy >= 0 && j.after.testAccuracy <= 1);
  assert.equal(j.layers[0].storage, 'sparse');
  const text = winnow('compress', model, '--format', 'int8-channel', '--encoding', 'csr', '--out', join(dir, 'x.wnn'), '--backend', 'reference');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /test accuracy on synthetic:blobs.*: before [\d.]+% → after [\d.]+%/);
  assert.match(text.out, /file: \d+ B vs \d+ B as fp32 dense/);
});

test('infer predicts JSON inputs exactly as the API does', () => {
  const n = 3, x = randomInputs(12, n);
  const input = join(dir, 'in.json');
  writeFileSync(input, JSON.stringify(Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * 20, (i + 1) * 20)))));
  const r = winnow('infer', model, '--input', input, '--json', '--backend', 'reference');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const expect = argmaxRows(predictRows(getBackend('reference'), tinyModel(11), x, n), 4);
  assert.deepEqual(j.predictions, Array.from(expect));
  const acc = winnow('infer', model, '--batch', '7', '--json', '--backend', 'reference');
  assert.equal(acc.code, 0, acc.err);
  const aj = JSON.parse(acc.out);
  assert.match(aj.dataset, /^synthetic:blobs/);
  assert.equal(aj.samples, 500);
  assert.ok(aj.testAccuracy >= 0 && aj.testAccuracy <= 1);
});

test('bad input: one-line error naming the flag or file, non-zero exit', () => {
  const cases: Array<[string[], RegExp]> = [
    [['compress', model, '--format', 'fp5'], /--format: expected one of .* got 'fp5'/],
    [['compress', join(dir, 'nope.wnn'), '--format', 'nvfp4'], /MODEL '.*nope\.wnn': no such file/],
    [['compress', model, '--encoding', 'zip'], /--encoding: expected one of auto, dense, csr, bitmask, gap4, gap8, 2:4, got 'zip'/],
    [['compress', model, '--encoding', '2:4'], /not 2:4 sparse/],
    [['compress', 'runs/lottery_0123:level=1', '--store', dir], /hparams\.json not found/],
    [['infer', model, '--input', join(dir, 'absent.json')], /--input .*absent\.json: cannot read/],
  ];
  for (const [args, re] of cases) {
    const r = winnow(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
});
