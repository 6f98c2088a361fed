// Fuzz: NEAT checkpoints (with the SHA-256 recomputed after most mutations, so the body checks are
// reached), NEAT configs (resolveConfig over mutated partial and full configs), genome files (parsed,
// then compiled and stepped: a genome the reader accepts must run), and `evolve --runs` summaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzz, mutatedJson, mutatedJsonText, RUNS } from './harness.js';
import { runNeat } from '../../src/neat/run.js';
import { PAPER, resolveConfig } from '../../src/neat/config.js';
import { parseCheckpoint } from '../../src/neat/checkpoint.js';
import { parseGenomeJson } from '../../src/neat/genome-file.js';
import { genomeToJson } from '../../src/neat/genome.js';
import { compile, Stepper } from '../../src/neat/network.js';
import { parseRunsSummary } from '../../src/neat/runs-summary.js';
import { parseUserJson } from '../../src/util/read.js';

const out = mkdtempSync(join(tmpdir(), 'winnow-fuzz-neat-'));
const cfg = resolveConfig('xor', { populationSize: 12, checkpointEvery: 1 });
const result = await runNeat({ task: { name: 'xor' }, config: cfg, seed: 2, outDir: out, haltAfter: 3 });
const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { body: unknown; sha256: string };
const sha = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

test(`NEAT checkpoints: ${RUNS} mutated checkpoints load or fail with a UserError`, { timeout: 120_000 }, () => {
  parseCheckpoint(JSON.stringify(checkpoint), 'seed');
  const arb = fc.oneof(
    { weight: 4, arbitrary: mutatedJson([checkpoint.body]).map((body) => JSON.stringify({ ...checkpoint, body, sha256: sha(body) })) },
    { weight: 1, arbitrary: mutatedJsonText([checkpoint]) },
  );
  const stats = fuzz(arb, (text) => { parseCheckpoint(text, 'fuzz/checkpoint.json'); });
  assert.equal(stats.cases, RUNS);
  console.log(`NEAT checkpoints: ${JSON.stringify(stats)}`);
});

test(`NEAT configs: ${RUNS} mutated configs resolve or fail with a UserError`, { timeout: 120_000 }, () => {
  const seeds = [PAPER, { populationSize: 50, compatibility: { threshold: 2 } }, { activationChoices: ['tanh', 'relu'], activation: 'tanh', activationMutateProb: 0.1 }, {}];
  const stats = fuzz(fc.tuple(mutatedJsonText(seeds), fc.constantFrom('xor', 'pole', 'double-pole-nv', 'classify')), ([text, task]) => {
    resolveConfig(task, parseUserJson(text, 'config fuzz.json'), 'config fuzz.json');
  });
  assert.equal(stats.cases, RUNS);
  console.log(`NEAT configs: ${JSON.stringify(stats)}`);
});

test(`NEAT genome files: ${RUNS} mutated genomes load (and run) or fail with a UserError`, { timeout: 120_000 }, () => {
  const seeds = [genomeToJson(result.best), ...(checkpoint.body as { population: unknown[] }).population.slice(0, 3)];
  const outBuf = new Float64Array(64);
  const stats = fuzz(mutatedJsonText(seeds), (text) => {
    const g = parseGenomeJson(parseUserJson(text, 'genome fuzz.json'), 'genome fuzz.json');
    const s = new Stepper(compile(g));
    if (g.nOut <= outBuf.length && g.nIn <= 1024) s.activate(new Float64Array(g.nIn).fill(0.5), outBuf);
  });
  assert.equal(stats.cases, RUNS);
  console.log(`NEAT genome files: ${JSON.stringify(stats)}`);
});

test(`NEAT run summaries: ${RUNS} mutated summary.json files load or fail with a UserError`, { timeout: 120_000 }, () => {
  const run = (seed: number, extra = {}) => ({ task: 'xor', seed, solved: true, generations: 30, evaluations: 4500, hidden: 2, enabled: 7, fitness: 15.9, championCheck: null, report: {}, wallSeconds: 0.5, ...extra });
  const seeds = [
    { task: 'xor', seeds: [5, 8], config: cfg, summary: { runs: 3 }, runs: [run(5), run(6, { solved: false }), run(7)] },
    { task: 'double-pole-nv', seeds: [1, 1], config: {}, runs: [{ ...run(1), task: 'double-pole-nv', championCheck: { solved: true, info: { generalization: 230 } }, report: { generalization: 230 } }] },
  ];
  const stats = fuzz(mutatedJsonText(seeds), (text) => { parseRunsSummary(parseUserJson(text, 'summary fuzz.json'), 'summary fuzz.json'); });
  assert.equal(stats.cases, RUNS);
  console.log(`NEAT run summaries: ${JSON.stringify(stats)}`);
});

test(`NEAT checkpoints: every mutated checkpoint the reader accepts resumes without a crash or hang (${RUNS / 5} mutations)`, { timeout: 120_000 }, async () => {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { UserError } = await import('../../src/util/errors.js');
  const { SEED, MAX_CASE_MS } = await import('./harness.js');
  const bodies = fc.sample(mutatedJson([checkpoint.body]), { numRuns: RUNS / 5, seed: SEED });
  let accepted = 0, slowest = 0;
  for (const [i, body] of bodies.entries()) {
    const text = JSON.stringify({ ...checkpoint, body, sha256: sha(body) });
    try { parseCheckpoint(text, 'fuzz'); } catch (e) { assert.ok(e instanceof UserError, String(e)); continue; }
    accepted++;
    const d = join(out, `resume-${i}`);
    mkdirSync(d);
    writeFileSync(join(d, 'checkpoint.json'), text);
    const t0 = performance.now();
    try {
      const generation = (body as { generation: number }).generation;
      await runNeat({ task: { name: 'xor' }, config: { ...cfg, maxGenerations: generation + 2 }, seed: 2, outDir: d, resume: true, haltAfter: 2 });
    } catch (e) {
      assert.ok(e instanceof UserError, `resume of accepted checkpoint ${i} crashed: ${e instanceof Error ? e.stack : String(e)}`);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    assert.ok(performance.now() - t0 < 4 * MAX_CASE_MS, `resume ${i} took ${(performance.now() - t0).toFixed(0)} ms`);
  }
  assert.ok(accepted > 50, `only ${accepted} accepted`);
  console.log(`NEAT checkpoint resumes: ${JSON.stringify({ mutations: bodies.length, accepted, slowestMs: slowest })}`);
});
