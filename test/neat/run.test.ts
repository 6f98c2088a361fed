import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/neat/config.js';
import { WorkerPoolEvaluator } from '../../src/neat/evaluate-parallel.js';
import { checkpointPath, runNeat, type RunResult } from '../../src/neat/run.js';
import { readCheckpoint } from '../../src/neat/checkpoint.js';
import { genomeFromJson } from '../../src/neat/genome.js';
import { xorOutputs } from '../../src/neat/tasks/xor.js';
import { UserError } from '../../src/util/errors.js';

const fingerprint = (r: RunResult) => JSON.stringify({ h: r.history, best: r.best, e: r.evaluations, s: r.solved });

test('XOR: 5 seeded runs all solve within 100 generations; the winner really solves XOR', async () => {
  const cfg = resolveConfig('xor', { maxGenerations: 100 });
  for (let seed = 1; seed <= 5; seed++) {
    const r = await runNeat({ task: { name: 'xor' }, config: cfg, seed, outDir: null });
    assert.ok(r.solved, `seed ${seed} did not solve`);
    const o = xorOutputs(r.best);
    assert.ok(o[0]! < 0.5 && o[1]! >= 0.5 && o[2]! >= 0.5 && o[3]! < 0.5);
    assert.equal(r.history.at(-1)!.evaluations, r.evaluations);
  }
});

test('the same seed gives an identical run with 1 (inline), 1 (pool) and 2 worker threads', async () => {
  const cfg = resolveConfig('double-pole', { populationSize: 60, maxGenerations: 6 });
  const spec = { name: 'double-pole' };
  const inline = await runNeat({ task: spec, config: cfg, seed: 42, workers: 1, outDir: null });
  const pool1 = new WorkerPoolEvaluator(1, spec, cfg);
  const one = await runNeat({ task: spec, config: cfg, seed: 42, evaluator: pool1, outDir: null });
  await pool1.close();
  const two = await runNeat({ task: spec, config: cfg, seed: 42, workers: 2, outDir: null });
  assert.equal(fingerprint(one), fingerprint(inline));
  assert.equal(fingerprint(two), fingerprint(inline));
  const other = await runNeat({ task: spec, config: cfg, seed: 43, workers: 1, outDir: null });
  assert.notEqual(fingerprint(other), fingerprint(inline));
});

test('an interrupted run resumed from its checkpoint equals the uninterrupted run', async () => {
  const cfg = resolveConfig('xor', { maxGenerations: 12, checkpointEvery: 2, populationSize: 80 });
  const full = await runNeat({ task: { name: 'xor' }, config: cfg, seed: 9, outDir: null });
  const dir = mkdtempSync(join(tmpdir(), 'neat-resume-'));
  const part = await runNeat({ task: { name: 'xor' }, config: cfg, seed: 9, outDir: dir, haltAfter: 5 });
  assert.ok(part.halted);
  assert.ok(existsSync(checkpointPath(dir)));
  assert.equal(readCheckpoint(checkpointPath(dir)).generation, 4); // last multiple of 2 reached before the halt
  const resumed = await runNeat({ task: { name: 'xor' }, config: cfg, seed: 9, outDir: dir, resume: true });
  assert.equal(fingerprint(resumed), fingerprint(full));
  // outputs written and the best genome loadable
  const best = genomeFromJson(JSON.parse(readFileSync(join(dir, 'best-genome.json'), 'utf8')));
  assert.deepEqual(best.conns, full.best.conns);
  assert.match(readFileSync(join(dir, 'network.svg'), 'utf8'), /^<svg/);
  assert.match(readFileSync(join(dir, 'progress.svg'), 'utf8'), /polyline/);
});

test('a corrupt checkpoint gives a UserError', async () => {
  const cfg = resolveConfig('xor', { maxGenerations: 4, checkpointEvery: 1, populationSize: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'neat-corrupt-'));
  await runNeat({ task: { name: 'xor' }, config: cfg, seed: 1, outDir: dir, haltAfter: 2 });
  const path = checkpointPath(dir);
  const text = readFileSync(path, 'utf8');
  const cases: Array<[string, RegExp]> = [
    [text.slice(0, text.length / 2), /corrupt \(not valid JSON/],
    [text.replace(/"weight": (-?[0-9.]+)/, '"weight": 12345'), /checksum mismatch/],
    [text.replace('"version": 1', '"version": 7'), /version 7 is not supported/],
    ['{"hello": 1}', /not a winnow NEAT checkpoint/],
  ];
  for (const [content, re] of cases) {
    writeFileSync(path, content);
    await assert.rejects(runNeat({ task: { name: 'xor' }, config: cfg, seed: 1, outDir: dir, resume: true }), (e: unknown) => e instanceof UserError && re.test((e as Error).message));
  }
});
