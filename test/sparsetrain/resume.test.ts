// Checkpoints inside sparse training jobs: a run resumed from any epoch's checkpoint ends bit-identical to the
// uninterrupted run (weights, masks, history, counters), for SET (its random stream), RigL (its dense gradients
// and mask updates) and a conv model; and `winnow sparse-train` killed with SIGKILL at random moments, then
// rerun, ends with the same results, metrics and final-state digests as an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../../src/backend/index.js';
import { loadDataset } from '../../src/data/registry.js';
import { loadSparseCheckpoint, saveSparseCheckpoint } from '../../src/sparsetrain/checkpoint.js';
import { runSparseTraining, type SparseTrainOptions } from '../../src/sparsetrain/run.js';
import { openStore } from '../../src/store/db.js';
import { Rng } from '../../src/util/rng.js';

const base = (over: Partial<SparseTrainOptions>): SparseTrainOptions => ({
  model: 'mlp:20-24-16-4', method: 'rigl', density: 0.3, distribution: 'erk', ablation: 'none',
  optimizer: { kind: 'adam', lr: 3e-3, momentum: 0.9, weightDecay: 0 }, batchSize: 30, iterations: 0, evalEvery: 25, seed: 7,
  init: 'glorot-normal', zeta: 0.3, alpha: 0.3, deltaT: 10, endFraction: 0.75, scoreBatch: 40, ...over,
});

for (const [name, dataset, over] of [
  ['SET on an MLP', 'synthetic:blobs?features=20&classes=4&train=600&test=200', { method: 'set', iterations: 120 }],
  ['RigL on an MLP', 'synthetic:blobs?features=20&classes=4&train=600&test=200', { method: 'rigl', iterations: 120 }],
  ['RigL on a conv model', 'synthetic:images', { method: 'rigl', model: 'conv:4-pool/16', iterations: 250, batchSize: 100, density: 0.4, deltaT: 20 }],
] as Array<[string, string, Partial<SparseTrainOptions>]>) {
  test(`${name}: resuming from any epoch's checkpoint is bit-identical`, () => {
    const be = getBackend('reference'), data = loadDataset(dataset, { seed: 7 });
    const o = base(over);
    const dir = mkdtempSync(join(tmpdir(), 'winnow-sparse-ckpt-'));
    try {
      const paths: string[] = [];
      const full = runSparseTraining(be, data, o, undefined, { save: (c) => { const p = join(dir, `ckpt-${c.trainer.iteration}.wt`); saveSparseCheckpoint(p, c); paths.push(p); } });
      assert.ok(paths.length >= 2, `expected checkpoints at several epochs, got ${paths.length}`);
      assert.ok(full.summary.maskUpdates > 0);
      for (const p of paths) {
        const resumed = runSparseTraining(be, data, o, undefined, { resume: loadSparseCheckpoint(p) });
        const strip = (s: typeof full.summary): unknown => ({ ...s, seconds: null });
        assert.deepEqual(strip(resumed.summary), strip(full.summary), p);
        assert.deepEqual(resumed.history, full.history, p);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const args = (store: string): string[] => [cli, 'sparse-train', '--backend', 'reference', '--dataset', 'synthetic:blobs?features=24&classes=4&train=1800&test=400',
  '--model', 'mlp:24-64-32-4', '--method', 'set', '--density', '0.2', '--iterations', '900', '--eval-every', '60', '--batch-size', '30',
  '--replicates', '2', '--workers', '1', '--store', store, '--json', '--checkpoint-seconds', '0'];

// Walked while the run writes: directory entries carry their type, so a file that vanishes between the listing
// and a stat (SQLite's -journal) cannot fail the walk.
function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p, suffix) : p.endsWith(suffix) ? [p] : [];
  });
}

/** Every job's result without timings, its metrics, and its final-state digest. */
function outcome(store: string): unknown[] {
  const db = openStore(store);
  try {
    const run = db.listRuns('sparse_train')[0]!;
    return db.listJobs(run.id).map((j) => {
      const { seconds: _s, ...r } = j.result as Record<string, unknown>;
      return { key: j.key, status: j.status, result: r, metrics: db.getMetrics(run.id, j.key) };
    });
  } finally {
    db.close();
  }
}

test('sparse-train killed with SIGKILL midway resumes from its checkpoint: identical results and digests', { timeout: 600_000 }, async () => {
  const a = mkdtempSync(join(tmpdir(), 'winnow-sparse-a-')), b = mkdtempSync(join(tmpdir(), 'winnow-sparse-b-'));
  try {
    const t0 = Date.now();
    const full = spawnSync(process.execPath, args(a), { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);
    const duration = Date.now() - t0;
    const rng = new Rng(11);
    // Three kills: one at a random early moment, then two as soon as a fresh checkpoint is on disk (plus a
    // random few milliseconds), so the job is killed midway with a checkpoint to resume from.
    let kills = 0, killedAfterCheckpoint = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = new Set(files(b, 'checkpoint.wt').map((f) => `${f}@${statSync(f).mtimeMs}`));
      const child = spawn(process.execPath, args(b), { stdio: 'ignore' });
      let exited = false;
      child.on('exit', () => { exited = true; });
      const began = Date.now();
      for (;;) {
        await new Promise((r) => setTimeout(r, 10));
        if (exited) break;
        const fresh = files(b, 'checkpoint.wt').some((f) => existsSync(f) && !before.has(`${f}@${statSync(f).mtimeMs}`));
        if (attempt === 0 ? Date.now() - began > duration / 10 : fresh) {
          await new Promise((r) => setTimeout(r, rng.int(30)));
          if (!exited) { child.kill('SIGKILL'); kills++; if (fresh) killedAfterCheckpoint++; }
          break;
        }
      }
      await new Promise((r) => (exited ? r(null) : child.on('close', r)));
    }
    assert.ok(kills >= 2 && killedAfterCheckpoint >= 1, `expected kills midway after a checkpoint, got ${kills} kills, ${killedAfterCheckpoint} after a checkpoint`);
    const resumed = spawnSync(process.execPath, args(b), { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    const oa = outcome(a), ob = outcome(b);
    assert.equal(oa.length, 2);
    assert.deepEqual(ob, oa);
    assert.match(String((oa[0] as { result: { finalState: string } }).result.finalState), /^[0-9a-f]{64}$/);
    assert.ok(!files(b, '.wt').some((f) => f.endsWith('checkpoint.wt')), 'no checkpoint is left behind');
  } finally {
    for (const d of [a, b]) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
  }
});
