// NEAT runs are indexed in the experiment store: one run per (task, non-default config), a job per seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/neat/config.js';
import { idBaseline, recordNeatRuns } from '../../src/neat/record.js';
import { resultSummary, runNeat } from '../../src/neat/run.js';
import { openStore } from '../../src/store/db.js';

test('finished NEAT runs land in the store, keyed by task and config', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-neat-store-'));
  try {
    const cfg = { ...resolveConfig('xor'), maxGenerations: 5 };
    const runs = [await runNeat({ task: { name: 'xor' }, config: cfg, seed: 3 }), await runNeat({ task: { name: 'xor' }, config: cfg, seed: 4 })].map(resultSummary);
    const id = recordNeatRuns(root, 'xor', cfg, runs, null);
    const other = recordNeatRuns(root, 'xor', { ...cfg, populationSize: 50 }, runs.slice(0, 1), null);
    const poleId = recordNeatRuns(root, 'pole', resolveConfig('pole'), runs.slice(0, 1), null);
    assert.notEqual(id, other);
    assert.notEqual(id, poleId);
    const store = openStore(root);
    try {
      const jobs = store.listJobs(id);
      assert.deepEqual(jobs.map((j) => j.replicate), [3, 4]);
      assert.equal(jobs[0]!.status, 'done');
      assert.equal((jobs[0]!.extra as { evaluations: number }).evaluations, runs[0]!.evaluations);
      assert.match(store.getRun(other)!.canonical, /populationSize=50/);
      assert.equal(store.listRuns('neat').length, 3);
      // ids are measured against the first defaults: today's defaults are named in the id, so a run under
      // them never overwrites the record of a run made before a default changed
      assert.match(store.getRun(id)!.canonical, /config\.weightClamp=8/);
      assert.match(store.getRun(poleId)!.canonical, /championCheck="unchecked-species"/);
      const firstDefaultsId = recordNeatRuns(root, 'xor', idBaseline('xor'), runs.slice(0, 1), null);
      assert.notEqual(firstDefaultsId, id);
      assert.equal(store.getRun(firstDefaultsId)!.canonical, 'task="xor"');
    } finally {
      store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
