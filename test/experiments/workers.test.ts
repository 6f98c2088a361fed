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
