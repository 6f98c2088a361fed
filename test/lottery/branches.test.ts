// The lottery driver's levels and branches: what each control keeps from the ticket, rewinding to
// iteration k, and the per-level densities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, lotteryExperiment, resolveHparams } from '../../src/experiments/index.js';
import { plan } from '../../src/lottery/runner.js';
import { loadModelState } from '../../src/lottery/state-io.js';
import { lotteryJobKey, openStore } from '../../src/store/db.js';
import { jobFile } from '../../src/store/layout.js';

const h = resolveHparams(lotteryExperiment, {
  model: 'mlp:10-16-8-3', dataset: 'synthetic:blobs?features=10&classes=3&train=720&test=150', iterations: 60, evalEvery: 20, batchSize: 20,
  levels: 2, rewindIter: 20, controls: ['reinit', 'random-prune', 'finetune'],
});

test('branches share or mimic the ticket mask as defined; rewinding starts at iteration k', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-branches-'));
  const launched = await launch(lotteryExperiment, h, { root, backend: 'reference', noReport: true });
  const results = launched.summary.results;
  const runId = launched.runId;
  const store = openStore(root);
  try {
    assert.equal(results.length, plan(h).length);
    const file = (level: number, branch: string, f: 'weights-final.wt' | 'mask.wt') => jobFile(root, runId, lotteryJobKey(0, level, branch), f);
    assert.ok(existsSync(join(root, runId, 'replicate_0', 'level_0', 'ticket', 'weights-iter20.wt')), 'θk saved during level 0');
    for (const level of [1, 2]) {
      const ticket = loadModelState(file(level, 'ticket', 'weights-final.wt'));
      const reinit = loadModelState(file(level, 'reinit', 'weights-final.wt'));
      const randomPrune = loadModelState(file(level, 'random-prune', 'weights-final.wt'));
      const finetune = loadModelState(file(level, 'finetune', 'weights-final.wt'));
      for (const name of Object.keys(ticket)) {
        const t = ticket[name]!, count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
        assert.deepEqual(reinit[name]!.mask, t.mask, 'reinit keeps the mask');
        assert.deepEqual(finetune[name]!.mask, t.mask, 'finetune keeps the mask');
        assert.equal(count(randomPrune[name]!.mask), count(t.mask), 'random-prune keeps the per-layer count');
        assert.notDeepEqual(randomPrune[name]!.mask, t.mask);
        t.weight.forEach((w, i) => { if (!t.mask[i]) assert.equal(w, 0); });
      }
      const expected = level === 1 ? 0.8 : 0.64;
      const r = results.find((x) => x.level === level && x.branch === 'ticket')!;
      assert.ok(Math.abs(r.density - expected) < 0.03, `level ${level} density ${r.density}`);
      for (const branch of ['ticket', 'reinit', 'random-prune', 'finetune']) {
        const metrics = store.getMetrics(runId, lotteryJobKey(0, level, branch));
        assert.equal(metrics[0]!.iteration, 20, `${branch} starts at the rewind iteration`);
        assert.equal(metrics[metrics.length - 1]!.iteration, 60);
      }
    }
    // The mask of level 2 is computed from the level-1 ticket (a subset of its mask).
    const m1 = loadModelState(file(1, 'ticket', 'mask.wt')), m2 = loadModelState(file(2, 'ticket', 'mask.wt'));
    for (const name of Object.keys(m1)) m2[name]!.mask.forEach((v, i) => { if (v) assert.equal(m1[name]!.mask[i], 1); });
  } finally {
    store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
