// Issue 15 item 8: settings that destroy an experiment give warnings (or one-line errors), not silence;
// summary.json entries are validated before they reach any statistic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/registry.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { trainModel } from '../../src/train/run.js';
import { divergenceWarnings, type EvalRecord } from '../../src/train/trainer.js';
import { assertKeptWeights, maskWarnings } from '../../src/prune/check.js';
import { pruneToDensity } from '../../src/prune/magnitude.js';
import { parseRunsSummary, parseRunsSummaryFile } from '../../src/neat/runs-summary.js';
import { UserError } from '../../src/util/errors.js';

const data = loadDataset('synthetic:blobs?features=8&classes=3&train=600&test=200', { seed: 0 });
const base = { model: 'mlp:8-16-3', batchSize: 20, iterations: 60, evalEvery: 20, seed: 1 };

test('--lr 100: training that explodes carries a divergence warning; a sane run carries none', () => {
  const ok = trainModel(referenceBackend, data, { ...base, optimizer: { kind: 'adam', lr: 1e-2 } }).summary;
  assert.deepEqual(ok.warnings, []);
  let warnings: string[];
  try {
    warnings = trainModel(referenceBackend, data, { ...base, optimizer: { kind: 'sgd', lr: 100 } }).summary.warnings;
  } catch (e) {
    // A loss that becomes non-finite stops training with a one-line error instead: also not silent.
    assert.ok(e instanceof UserError && /diverged/.test(e.message), String(e));
    return;
  }
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.match(warnings[0]!, /training diverged: .*--lr 100/);
});

test('divergenceWarnings: exploding, non-finite, empty validation split', () => {
  const rec = (iteration: number, trainLoss: number, valLoss = 1, testLoss = 1): EvalRecord => ({ iteration, trainLoss, valLoss, valAccuracy: 0, testLoss, testAccuracy: 0 });
  assert.deepEqual(divergenceWarnings([rec(0, NaN), rec(10, 0.9), rec(20, 0.5)], 10), []);
  assert.match(divergenceWarnings([rec(0, NaN), rec(10, 1e6)], 10, 100)[0]!, /training loss reached 1\.00e\+6 at iteration 10.*--lr 100/);
  assert.match(divergenceWarnings([rec(0, NaN), rec(10, 1, Infinity)], 10)[0]!, /validation loss is Infinity/);
  assert.deepEqual(divergenceWarnings([rec(0, NaN, NaN), rec(10, 1, NaN)], 10), [], 'an empty validation split is not divergence');
});

test('--density 1e-10: the run says that layers are left without inputs', () => {
  const s = trainModel(referenceBackend, data, { ...base, iterations: 20, optimizer: { kind: 'adam', lr: 1e-3 }, density: 1e-10 }).summary;
  assert.ok(s.warnings.some((w) => /--density 1e-10: layer fc1 keeps 1 of 128 weights .* units have no input left/.test(w)), JSON.stringify(s.warnings));
  assert.ok(s.warnings.some((w) => /layer out /.test(w)));
});

test('maskWarnings / assertKeptWeights / pruneToDensity: zero kept weights', () => {
  const full = new Uint8Array(12).fill(1);
  assert.deepEqual(maskWarnings([{ name: 'a', mask: full, rows: 3 }]), []);
  assert.match(maskWarnings([{ name: 'a', mask: new Uint8Array(12), rows: 3 }])[0]!, /layer a keeps 0 of 12 weights/);
  assert.match(maskWarnings([{ name: 'o', mask: Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]), rows: 2, isOutput: true }])[0]!, /1 of its 2 units have no input/);
  assert.throws(() => assertKeptWeights({ fc1: full, fc2: new Uint8Array(4) }, '--one-shot 1e-300'), (e: unknown) => e instanceof UserError && /fc2 would keep 0 of 4/.test(e.message));
  assert.throws(() => pruneToDensity(new Float32Array(100).fill(1), new Uint8Array(100).fill(1), 1e-300, 'fc1'),
    (e: unknown) => e instanceof UserError && /pruning fc1 to density 1e-300 keeps 0 of its 100 weights/.test(e.message));
  assert.equal(pruneToDensity(new Float32Array(100).fill(1), new Uint8Array(100).fill(1), 0.01).reduce((a, b) => a + b, 0), 1);
});

const run = (seed: number, extra: Record<string, unknown> = {}) => ({
  task: 'xor', seed, solved: true, generations: 30, evaluations: 4500, hidden: 2, enabled: 7, fitness: 15.9,
  championCheck: null, report: { accuracy: 1 }, wallSeconds: 0.5, ...extra,
});

test('summary.json of evolve --runs: typed data, or a UserError naming the field', () => {
  const good = { task: 'xor', seeds: [5, 7], config: { populationSize: 150 }, summary: {}, runs: [run(5), run(6)] };
  assert.equal(parseRunsSummary(good, 's').runs.length, 2);
  const bad = (v: unknown, field: RegExp) => assert.throws(() => parseRunsSummary(v, 'summary x.json'),
    (e: unknown) => e instanceof UserError && /^summary x\.json: field '/.test(e.message) && field.test(e.message), `for ${JSON.stringify(v).slice(0, 200)}`);
  bad({ ...good, runs: [run(5, { evaluations: '4500' })] }, /'runs\.0\.evaluations'/);
  bad({ ...good, runs: [run(5, { fitness: null })] }, /'runs\.0\.fitness'/);
  bad({ ...good, runs: [run(5, { report: { accuracy: 'high' } })] }, /'runs\.0\.report\.accuracy'/);
  bad({ ...good, runs: [run(5, { hidden: -1 })] }, /'runs\.0\.hidden'/);
  bad({ ...good, runs: [run(6)] }, /'runs\.0\.seed': 6, expected 5/);
  bad({ ...good, runs: [run(5, { task: 'pole' })] }, /'runs\.0\.task'/);
  bad({ ...good, seeds: [5] }, /'seeds/);
  bad({ ...good, runs: [run(5), run(6), run(7), run(8)] }, /'runs': 4 runs, but seeds 5\.\.7 allow 3/);
  bad([], /'\(root\)'/);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-sum-'));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(good));
  assert.equal(parseRunsSummaryFile(join(dir, 'summary.json')).task, 'xor');
  writeFileSync(join(dir, 'bad.json'), '{"task": "xor", "seeds": [1, 2], "config": {}, "runs": [{"seed": 1}]');
  assert.throws(() => parseRunsSummaryFile(join(dir, 'bad.json')), /not valid JSON/);
});
