// The runnable examples in examples/ (compiled with the project, importing 'winnow' through the package's
// own exports map) run to completion and print what they claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../examples/', import.meta.url));

function runExample(name: string): string {
  const out = mkdtempSync(join(tmpdir(), 'winnow-ex-'));
  const r = spawnSync(process.execPath, [join(dir, name), out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('every example has a test here', () => {
  const names = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(names, ['lottery.js', 'neat-xor.js', 'quantize-encode.js', 'train-prune-save.js']);
});

test('train-prune-save: trains, prunes globally then 2:4, saves NVFP4 and reloads', () => {
  const s = runExample('train-prune-save.js');
  const m = /density (\S+)\n.*2:4 pruning: density (\S+)\nsaved (\d+) bytes to (\S+); reloaded test accuracy (\S+)/.exec(s);
  assert.ok(m, s);
  assert.ok(Number(m[1]) < 0.3 && Number(m[2]) <= Number(m[1]) && Number(m[2]) <= 0.5, s);
  assert.ok(existsSync(m[4]!), s);
  assert.ok(Number(m[5]) > 0.8, s);
});

test('quantize-encode: every format round-trips, int4 errors above int8, CSR smaller than dense at 10%', () => {
  const s = runExample('quantize-encode.js');
  const err = (f: string): number => Number(new RegExp(`^${f}\\s+\\d+\\s+(\\S+)$`, 'm').exec(s)![1]);
  assert.equal(err('fp32'), 0);
  assert.ok(err('int4-channel') > err('int8-channel'), s);
  const bytes = (e: string): number => Number(new RegExp(`^${e}\\s+(\\d+)$`, 'm').exec(s)![1]);
  assert.ok(bytes('csr') < bytes('dense') / 2, s);
  assert.match(s, /^2:4\s+n\/a/m);
});

test('lottery: the programmatic run reports every level through the progress callback', () => {
  const s = runExample('lottery.js');
  assert.match(s, /run lottery_[0-9a-f]+ done/);
  assert.match(s, /^5 jobs;/m);
  for (const l of ['level 0 ticket', 'level 1 ticket', 'level 1 reinit', 'level 2 ticket', 'level 2 reinit']) assert.ok(s.includes(l), s);
});

test('neat-xor: solves XOR and the champion separates the four cases', () => {
  const s = runExample('neat-xor.js');
  assert.match(s, /solved: true/);
  const v = (a: number, b: number): number => Number(new RegExp(`${a} xor ${b} → (\\S+)`).exec(s)![1]);
  assert.ok(v(0, 0) < 0.5 && v(1, 1) < 0.5 && v(0, 1) > 0.5 && v(1, 0) > 0.5, s);
});
