// `winnow runs repair|reset`: a deleted or damaged artifact, or a job the user names, is recomputed by
// rerunning the run's command, and the run ends identical to one that was never damaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestOf, lotteryRecords } from './digest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const winnow = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tiny = ['--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200', '--model', 'mlp:8-12-3', '--iterations', '40', '--eval-every', '20',
  '--levels', '3', '--backend', 'reference', '--no-report', '--progress', 'none'];

test('repair after deleting and damaging files, and reset of a named job, recompute to the identical run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-repair-'));
  try {
    const clean = join(dir, 'clean'), store = join(dir, 'store');
    assert.equal(winnow(['lottery', ...tiny, '--store', clean]).status, 0);
    const want = digestOf(lotteryRecords(clean));
    const r0 = winnow(['lottery', ...tiny, '--store', store]);
    assert.equal(r0.status, 0, r0.stderr);
    const runId = (JSON.parse(winnow(['runs', 'list', '--store', store, '--json']).stdout) as Array<{ id: string }>)[0]!.id;
    const job = (key: string, file: string) => join(store, runId, ...key.split('/'), file);

    // The advice in the damaged-file error works: repair marks the job, the rerun recomputes it.
    truncateSync(job('replicate_0/level_2/ticket', 'mask.wt'), 20);
    rmSync(job('replicate_0/level_1/reinit', 'weights-final.wt'));
    writeFileSync(job('replicate_0/level_0/ticket', 'weights-init.wt'), readFileSync(job('replicate_0/level_0/ticket', 'weights-init.wt')).subarray(0, 100));
    const repaired = winnow(['runs', 'repair', runId, '--store', store, '--json']);
    assert.equal(repaired.status, 0, repaired.stderr);
    const mended = (JSON.parse(repaired.stdout) as { mended: Array<{ job: string }> }).mended.map((m) => m.job).sort();
    assert.deepEqual(mended, ['replicate_0/level_0/ticket', 'replicate_0/level_1/reinit', 'replicate_0/level_2/ticket']);
    assert.equal(JSON.parse(winnow(['runs', 'list', '--store', store, '--json']).stdout)[0].status, 'pending');
    assert.match(winnow(['runs', 'repair', runId, '--store', store]).stdout, /nothing to do|will be recomputed/);
    const r1 = winnow(['lottery', ...tiny, '--store', store]);
    assert.equal(r1.status, 0, r1.stderr);
    assert.deepEqual(digestOf(lotteryRecords(store)), want);
    assert.match(winnow(['runs', 'repair', runId, '--store', store]).stdout, /nothing to do/);

    // reset: the named job (and its files) is recomputed.
    const reset = winnow(['runs', 'reset', runId.slice(0, 12), '--job', 'replicate_0/level_3/random-prune', '--store', store]);
    assert.equal(reset.status, 0, reset.stderr);
    assert.match(reset.stdout, /1 job\(s\) will be recomputed/);
    assert.equal(winnow(['lottery', ...tiny, '--store', store]).status, 0);
    assert.deepEqual(digestOf(lotteryRecords(store)), want);
    const bad = winnow(['runs', 'reset', runId, '--job', 'nope', '--store', store]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /^winnow: --job nope: run lottery_\w+ has no such job/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('progress prints as plain lines while a run goes when stderr is a pipe, rows as levels finish', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-progress-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'lottery', ...tiny.filter((a) => a !== '--progress' && a !== 'none'), '--store', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines.join('\n'), /\[1\/10\] rep 0 level 0 ticket: started/);
    assert.equal(lines.filter((l) => /: done in [\d.]+ s$/.test(l)).length, 10);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\s+\d/.test(l));
    assert.equal(rows.length, 4, r.stdout);
    const p = spawnSync(process.execPath, [cli, 'lottery', ...tiny.filter((a) => a !== '--progress' && a !== 'none'), '--levels', '4', '--store', dir, '--progress', 'json'], { encoding: 'utf8' });
    const events = p.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; resumed?: boolean });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['run-start', 'job-start', 'step', 'job-done', 'row', 'run-done']) assert.ok(types.has(t), `a '${t}' event`);
    assert.equal(events.filter((e) => e.type === 'job-done' && e.resumed).length, 0, 'a new run (levels 4 is another run id)');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
