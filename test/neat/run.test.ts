import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/neat/config.js';
import { WorkerPoolEvaluator } from '../../src/neat/evaluate-parallel.js';
import { championToCheck, checkpointPath, runNeat, type RunResult } from '../../src/neat/run.js';
import { readCheckpoint } from '../../src/neat/checkpoint.js';
import { genomeFromJson, startGenome, type Genome } from '../../src/neat/genome.js';
import type { Species } from '../../src/neat/species.js';
import { Rng } from '../../src/util/rng.js';
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
  assert.match(readFileSync(join(dir, 'progress.svg'), 'utf8'), /<path d="M[^"]+" fill="none" stroke="#c0392b"[^>]*>[\s\S]*best fitness/); // the report renderer's line
});

test('DPNV: a resumed run keeps the champion-check rotation (species checked flags travel in the checkpoint)', async () => {
  const cfg = resolveConfig('double-pole-nv', { maxGenerations: 8, checkpointEvery: 1, populationSize: 120 });
  const full = await runNeat({ task: { name: 'double-pole-nv' }, config: cfg, seed: 2, outDir: null });
  const dir = mkdtempSync(join(tmpdir(), 'neat-resume-dpnv-'));
  await runNeat({ task: { name: 'double-pole-nv' }, config: cfg, seed: 2, outDir: dir, haltAfter: 4 });
  const ck = readCheckpoint(checkpointPath(dir));
  assert.ok(ck.species.some((s) => s.checked), 'no species marked checked after 4 generations');
  const resumed = await runNeat({ task: { name: 'double-pole-nv' }, config: cfg, seed: 2, outDir: dir, resume: true });
  assert.equal(fingerprint(resumed), fingerprint(full));
  assert.deepEqual(resumed.championCheck, full.championCheck);
  // the rotation visits different genomes (the same champion is not re-checked while its species stands still)
  const checkedIds = full.history.map((h) => h.checked!.genome);
  assert.equal(checkedIds.length, 8);
  assert.ok(new Set(checkedIds).size > 4, `checked ${checkedIds.join(',')}`);
  // one champion check per generation, every generation evaluated in full
  assert.equal(full.evaluations, full.generations * 120);
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
    [text.replace('"version": 2', '"version": 7'), /version 7 is not supported/],
    ['{"hello": 1}', /not a winnow NEAT checkpoint/],
  ];
  for (const [content, re] of cases) {
    writeFileSync(path, content);
    await assert.rejects(runNeat({ task: { name: 'xor' }, config: cfg, seed: 1, outDir: dir, resume: true }), (e: unknown) => e instanceof UserError && re.test((e as Error).message));
  }
});

test('champion check: the best unchecked species each generation, rechecked once it improves (C++ pole2_epoch)', () => {
  const cfg = resolveConfig('double-pole-nv');
  const rng = new Rng(1);
  const pop: Genome[] = [];
  for (let i = 0; i < 6; i++) pop.push(startGenome(i, 4, 1, 'steep-sigmoid', 1, rng));
  const fit = [3, 10, 1, 5, 4, 2];
  pop.forEach((g, i) => { g.fitness = fit[i]!; });
  const sp = (id: number, members: Genome[]): Species => ({ id, created: 0, representative: members[0]!, members, bestFitness: -Infinity, lastImproved: 0, checked: false });
  const species = [sp(0, [pop[0]!, pop[1]!, pop[2]!]), sp(1, [pop[3]!, pop[4]!]), sp(2, [pop[5]!])];
  const solved = [false, false, false, false, false, false];
  const record = () => { for (const s of species) s.bestFitness = Math.max(s.bestFitness, ...s.members.map((g) => g.fitness)); };
  const picks: number[] = [];
  for (let gen = 0; gen < 4; gen++) { picks.push(championToCheck(species, pop, solved, cfg)); record(); }
  // species ranked 0 (best 10), 1 (5), 2 (2); each checked once, then the best again; unsolved genomes too
  assert.deepEqual(picks, [1, 3, 5, 1]);
  pop[4]!.fitness = 6; // species 1 beats its record: unchecked again, and now it is checked first
  assert.equal(championToCheck(species, pop, solved, cfg), 4);
  // 'best-solver' takes the fittest genome that met the trial, or none
  const bs = { ...cfg, championCheck: 'best-solver' as const };
  assert.equal(championToCheck(species, pop, solved, bs), -1);
  assert.equal(championToCheck(species, pop, [true, false, false, true, false, true], bs), 3);
});

test('the runs chart: a CDF over runs that stops short of 100% when some failed, with the mean and the paper line', async () => {
  const { runsChartSvg } = await import('../../src/neat/svg.js');
  const runs = [{ solved: true, evaluations: 1000 }, { solved: true, evaluations: 3000 }, { solved: false, evaluations: 9000 }, { solved: true, evaluations: 2000 }];
  const svg = runsChartSvg(runs, 'XOR & co', 4755);
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.match(svg, /XOR &amp; co/);
  assert.match(svg, /runs solved \(3 of 4\)/);
  assert.match(svg, /mean 2,000/);
  assert.match(svg, /paper mean 4,755/);
});
