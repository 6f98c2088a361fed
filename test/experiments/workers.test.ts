// --workers N: a lottery run's independent jobs (the branches of a level, replicates) on worker threads
// give results identical to one thread, and the level rows still print in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestOf, lotteryRecords } from './digest.js';
import { openStore } from '../../src/store/db.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const args = (store: string, workers: number) => [cli, 'lottery', '--dataset', 'synthetic:blobs?features=12&classes=3&train=600&test=200', '--model', 'mlp:12-16-3',
  '--iterations', '60', '--eval-every', '20', '--levels', '3', '--replicates', '2', '--controls', 'reinit,random-prune,finetune', '--store', store,
  '--no-report', '--workers', String(workers), '--progress', 'none'];

test('a lottery run on 1 and on 3 worker threads: identical masks, weights and metrics; rows in level order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-workers-'));
  try {
    const one = spawnSync(process.execPath, args(join(dir, 'one'), 1), { encoding: 'utf8' });
    assert.equal(one.status, 0, one.stderr);
    const three = spawnSync(process.execPath, args(join(dir, 'three'), 3), { encoding: 'utf8' });
    assert.equal(three.status, 0, three.stderr);
    assert.deepEqual(digestOf(lotteryRecords(join(dir, 'three'))), digestOf(lotteryRecords(join(dir, 'one'))));
    const levels = (out: string) => out.split('\n').filter((l) => /^\s+\d+\s+\d/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.deepEqual(levels(three.stdout), [0, 1, 2, 3]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('sparse-train replicates on 2 worker threads: the same stored results as on one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-workers-sparse-'));
  try {
    const run = (w: number) => {
      const r = spawnSync(process.execPath, [cli, 'sparse-train', '--method', 'rigl', '--density', '0.1', '--model', 'mlp:8-16-3', '--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200',
        '--iterations', '200', '--replicates', '2', '--store', join(dir, `w${w}`), '--workers', String(w), '--progress', 'none', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // timings aside, everything the run reports
      return JSON.stringify(JSON.parse(r.stdout), (k, v: unknown) => (/[sS]econds/.test(k) ? undefined : v));
    };
    assert.equal(run(2), run(1));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

/** Every run, job result and metric of a store, timings left out (they differ from run to run). */
function storeContents(root: string): unknown {
  const store = openStore(root, { create: false });
  try {
    const noTimes = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (/seconds/i.test(k) ? undefined : x)));
    return store.listRuns().map((r) => ({
      id: r.id, kind: r.kind, status: r.status,
      jobs: store.listJobs(r.id).map((j) => ({ key: j.key, status: j.status, result: noTimes(j.result), metrics: store.getMetrics(r.id, j.key) })),
    }));
  } finally { store.close(); }
}

const blobs = 'synthetic:blobs?features=8&classes=3&train=600&test=200';

test('compare points and sparse-study cells on 2 worker threads: the same store as on one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-workers-studies-'));
  try {
    const run = (args: string[], store: string, w: number) => {
      const r = spawnSync(process.execPath, [cli, ...args, '--store', join(dir, store), '--workers', String(w), '--progress', 'none', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // timings and the report's paths (under each store) aside
      return JSON.stringify(JSON.parse(r.stdout), (k, v: unknown) => (/[sS]econds/.test(k) || k === 'report' ? undefined : v));
    };
    const compare = ['compare', '--dataset', blobs, '--model', 'mlp:8-16-3', '--prune-levels', '2', '--iterations', '60', '--no-neat', '--formats', 'fp32,bf16,int4-group', '--dense-formats', 'fp32,fp8-e4m3'];
    const c1 = run(compare, 'c1', 1), c2 = run(compare, 'c2', 2);
    assert.equal(c2, c1);
    assert.deepEqual(storeContents(join(dir, 'c2')), storeContents(join(dir, 'c1')));
    // the points come back in the order of one measurement: dense formats, then each level's tickets and controls
    const labels = (JSON.parse(c2) as { points: Array<{ label: string }> }).points.map((p) => p.label);
    assert.deepEqual(labels, ['dense fp32', 'dense fp8-e4m3', 'L1 fp32', 'L1 bf16', 'L1 int4-group', 'rand L1 fp32', 'rand L1 bf16', 'rand L1 int4-group',
      'L2 fp32', 'L2 bf16', 'L2 int4-group', 'rand L2 fp32', 'rand L2 bf16', 'rand L2 int4-group']);

    const study = ['sparse-study', '--dataset', blobs, '--model', 'mlp:8-16-3', '--iterations', '100', '--methods', 'static,snip', '--densities', '0.3,0.1', '--replicates', '1'];
    const s1 = run(study, 's1', 1), s2 = run(study, 's2', 2);
    assert.equal(s2, s1);
    assert.deepEqual(storeContents(join(dir, 's2')), storeContents(join(dir, 's1')));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the language-model study with IMP tickets, controls and RigL on 2 worker threads: the same store as on one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-workers-lm-'));
  try {
    const run = (w: number) => {
      const r = spawnSync(process.execPath, [cli, 'compare', '--model', 'gpt:1-2-16-16', '--iterations', '60', '--tickets', '--rigl', '--sparsities', '0.5,0.9',
        '--eval-tokens', '256', '--calibration-samples', '4', '--dense-formats', 'fp32,int8-channel', '--no-neat',
        '--store', join(dir, `w${w}`), '--workers', String(w), '--progress', 'none', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.stringify(JSON.parse(r.stdout), (k, v: unknown) => (/[sS]econds/.test(k) || k === 'report' || k === 'lmFile' ? undefined : v));
    };
    const one = run(1), two = run(2);
    assert.equal(two, one);
    assert.ok((JSON.parse(one) as { points: Array<{ label: string }> }).points.some((p) => /ticket|imp/i.test(p.label)));
    const noFiles = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'lmFile' ? undefined : x)));
    assert.deepEqual(noFiles(storeContents(join(dir, 'w2'))), noFiles(storeContents(join(dir, 'w1'))));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
