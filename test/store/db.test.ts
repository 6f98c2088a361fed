// Experiment database: round trips, one-transaction job+metrics writes, reopen, and damaged files
// reported as UserErrors without being modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { lotteryJobKey, openStore, SCHEMA_VERSION, type MetricRow } from '../../src/store/db.js';
import { describeRun } from '../../src/store/hash.js';
import { hparamsPath, jobDir, jobFile, readHparamsFile, runDir, writeHparamsFile } from '../../src/store/layout.js';
import { UserError } from '../../src/util/errors.js';

const base = mkdtempSync(join(tmpdir(), 'winnow-db-'));
process.on('exit', () => rmSync(base, { recursive: true, force: true }));
let counter = 0;
const freshRoot = (): string => join(base, `root${counter++}`);

const hp = { model: 'lenet300', lr: 0.1 };
const ident = describeRun('lottery', hp, { model: 'lenet300', lr: 0.0012 });
const key = (level: number, branch = 'main', replicate = 0): string => lotteryJobKey(replicate, level, branch);
const metrics = (n: number): MetricRow[] =>
  Array.from({ length: n }, (_, i) => ({ iteration: i * 100, trainLoss: 2 / (i + 1), valLoss: 2.1 / (i + 1), valAccuracy: 0.5 + i / 100, testLoss: null, testAccuracy: 0.49 + i / 100 }));

function clock(): () => Date {
  let t = Date.UTC(2024, 0, 1);
  return () => new Date((t += 1000));
}

test('runs: upsert, get, list by kind; created_at kept on update', () => {
  const s = openStore(freshRoot(), { now: clock() });
  try {
    const r1 = s.upsertRun({ ...ident, kind: 'lottery', hparams: hp });
    assert.equal(r1.status, 'pending');
    assert.deepEqual(r1.hparams, hp);
    const r2 = s.upsertRun({ ...ident, kind: 'lottery', hparams: { ...hp, note: 'x' }, status: 'running' });
    assert.equal(r2.createdAt, r1.createdAt);
    assert.ok(r2.updatedAt > r1.updatedAt);
    assert.equal(r2.status, 'running');
    assert.equal(s.upsertRun({ ...ident, kind: 'lottery', hparams: hp }).status, 'running', 'status kept when not given');
    s.upsertRun({ id: 'train_0123456789abcdef', kind: 'train', hparams: {}, canonical: '' });
    assert.deepEqual(s.listRuns().map((r) => r.id), [ident.id, 'train_0123456789abcdef']);
    assert.deepEqual(s.listRuns('train').map((r) => r.id), ['train_0123456789abcdef']);
    assert.deepEqual(s.listRuns('nothing'), []);
    assert.equal(s.getRun('lottery_ffffffffffffffff'), undefined);
    s.setRunStatus(ident.id, 'done');
    assert.equal(s.getRun(ident.id)!.status, 'done');
  } finally {
    s.close();
  }
});

test('jobs and metrics round trip as typed JSON; a rerun replaces metrics; NaN stored as null', () => {
  const s = openStore(freshRoot());
  try {
    s.upsertRun({ ...ident, kind: 'lottery', hparams: hp });
    s.setJobStatus(ident.id, key(1), 'running');
    assert.equal(s.getJob(ident.id, key(1))!.status, 'running');
    assert.equal(s.getJob(ident.id, key(1))!.result, null);
    const result = { density: 0.8, earlyStopIteration: 300, earlyStopValLoss: 0.25, finalTestAccuracy: 0.975, layers: { fc1: 0.8 }, storage: ['dense'] };
    s.setJobResult(ident.id, key(1), result, metrics(5));
    s.setJobResult(ident.id, key(0), { density: 1, finalTestAccuracy: NaN }, metrics(2));
    s.setJobStatus(ident.id, key(0, 'random_reinit'), 'pending');
    assert.deepEqual(s.getJob(ident.id, key(1))!.result, result);
    assert.equal(s.getJob(ident.id, key(1))!.status, 'done');
    assert.equal((s.getJob(ident.id, key(0))!.result as { finalTestAccuracy: unknown }).finalTestAccuracy, null);
    assert.deepEqual(s.getMetrics(ident.id, key(1)), metrics(5));
    assert.deepEqual(s.listJobs(ident.id).map((j) => j.key), [key(0), key(0, 'random_reinit'), key(1)]);
    s.setJobResult(ident.id, key(1), result, metrics(3));
    assert.deepEqual(s.getMetrics(ident.id, key(1)), metrics(3), 'old metrics replaced, not merged');
    s.setJobStatus(ident.id, key(1), 'running');
    assert.deepEqual(s.getJob(ident.id, key(1))!.result, result, 'running keeps results');
    s.setJobStatus(ident.id, key(1), 'pending');
    assert.equal(s.getJob(ident.id, key(1))!.result, null, 'pending drops the result: the job is recomputed');
    assert.deepEqual(s.getMetrics(ident.id, key(1)), []);
    assert.equal(s.getRun(ident.id)!.status, 'pending');
    assert.deepEqual(s.getMetrics(ident.id, key(7)), []);
    assert.equal(s.getJob(ident.id, key(7)), undefined);
  } finally {
    s.close();
  }
});

test('a job and its metrics are written together or not at all', () => {
  const s = openStore(freshRoot());
  try {
    s.upsertRun({ ...ident, kind: 'lottery', hparams: hp });
    const dup: MetricRow[] = [{ iteration: 5, trainLoss: 1 }, { iteration: 5, trainLoss: 2 }];
    assert.throws(() => s.setJobResult(ident.id, key(2), { density: 0.64 }, dup));
    assert.equal(s.getJob(ident.id, key(2)), undefined, 'job rolled back with its metrics');
    assert.deepEqual(s.getMetrics(ident.id, key(2)), []);
    assert.throws(() => s.setJobResult(ident.id, key(2), {}, [{ iteration: -1 }]));
    assert.throws(() => s.setJobResult(ident.id, key(2), {}, [{ iteration: 1.5 }]), 'non-integer iteration');
    assert.equal(s.getJob(ident.id, key(2)), undefined);
    s.setJobResult(ident.id, key(2), { density: 0.64 }, metrics(2));
    assert.throws(() => s.setJobResult(ident.id, key(2), { density: 0.5 }, dup));
    assert.deepEqual(s.getJob(ident.id, key(2))!.result, { density: 0.64 });
    assert.deepEqual(s.getMetrics(ident.id, key(2)), metrics(2));
    assert.throws(() => s.setJobResult('lottery_0000000000000000', key(0), {}), /upsertRun first/);
    assert.throws(() => s.setJobResult(ident.id, key(0, '../x'), {}), TypeError);
    assert.throws(() => s.setJobStatus(ident.id, key(0), 'failed' as 'done'), TypeError);
  } finally {
    s.close();
  }
});

test('reopen after close keeps data; WAL mode and schema version are set', () => {
  const root = freshRoot();
  const s = openStore(root);
  s.upsertRun({ ...ident, kind: 'lottery', hparams: hp });
  s.setJobResult(ident.id, key(0), { density: 1 }, metrics(4));
  s.close();
  s.close(); // idempotent
  const t = openStore(root);
  try {
    assert.deepEqual(t.getMetrics(ident.id, key(0)), metrics(4));
    assert.equal(t.getRun(ident.id)!.canonical, ident.canonical);
  } finally {
    t.close();
  }
  const raw = new Database(join(root, 'winnow.db'), { readonly: true });
  try {
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal((raw.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v, SCHEMA_VERSION);
  } finally {
    raw.close();
  }
});

function assertDamaged(root: string): void {
  const path = join(root, 'winnow.db');
  const before = readFileSync(path);
  assert.throws(() => openStore(root), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, /move it aside|backup/);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
  assert.deepEqual(readFileSync(path), before, 'damaged file left untouched');
  assert.ok(!existsSync(`${path}-wal`) || readFileSync(`${path}-wal`).length === 0, 'no WAL written');
}

test('random bytes, truncated and page-damaged databases are UserErrors; the file is untouched', () => {
  const junk = freshRoot();
  openStore(junk).close();
  writeFileSync(join(junk, 'winnow.db'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) & 0xff)));
  assertDamaged(junk);

  const short = freshRoot();
  openStore(short).close();
  writeFileSync(join(short, 'winnow.db'), 'SQLite format 3\0abc');
  assertDamaged(short);

  // A real store with enough rows to span many pages, truncated at several points.
  const src = freshRoot();
  const s = openStore(src);
  s.upsertRun({ ...ident, kind: 'lottery', hparams: hp });
  for (let level = 0; level < 30; level++) s.setJobResult(ident.id, key(level), { density: 0.8 ** level }, metrics(50));
  s.close();
  const full = readFileSync(join(src, 'winnow.db'));
  assert.ok(full.length >= 8 * 4096, `database should span many pages (${full.length} bytes)`);
  for (const frac of [0.9, 0.5, 0.1]) {
    const root = freshRoot();
    openStore(root).close();
    writeFileSync(join(root, 'winnow.db'), full);
    truncateSync(join(root, 'winnow.db'), Math.floor((full.length * frac) / 4096) * 4096 + (frac === 0.5 ? 100 : 0));
    assertDamaged(root);
  }

  // Whole-page-sized but garbage interior pages: caught by the integrity check, not the header.
  const garbled = freshRoot();
  openStore(garbled).close();
  const g = Buffer.from(full);
  for (let i = 4096; i < g.length; i++) g[i] = (i * 31) & 0xff;
  writeFileSync(join(garbled, 'winnow.db'), g);
  assertDamaged(garbled);
});

test('a foreign SQLite database is refused, not migrated', () => {
  const root = freshRoot();
  openStore(root).close();
  rmSync(join(root, 'winnow.db'));
  const other = new Database(join(root, 'winnow.db'));
  other.exec('CREATE TABLE t (x INTEGER)');
  other.close();
  const before = readFileSync(join(root, 'winnow.db'));
  assert.throws(() => openStore(root), (e: unknown) => e instanceof UserError && /not a winnow experiment store/.test(e.message));
  assert.deepEqual(readFileSync(join(root, 'winnow.db')), before);
});

test('directory layout and hparams.json', () => {
  const root = '/x/exp';
  assert.equal(runDir(root, ident.id), `/x/exp/${ident.id}`);
  assert.equal(jobDir(root, ident.id, key(3, 'main', 1)), `/x/exp/${ident.id}/replicate_1/level_3/main`);
  assert.equal(jobFile(root, ident.id, key(3), 'mask.wt'), `/x/exp/${ident.id}/replicate_0/level_3/main/mask.wt`);
  assert.equal(hparamsPath(root, ident.id), `/x/exp/${ident.id}/hparams.json`);
  assert.throws(() => jobDir(root, ident.id, 'a//b'), TypeError);
  assert.throws(() => jobDir(root, ident.id, key(0, '..')), TypeError);
  assert.throws(() => jobDir(root, ident.id, '/abs'), TypeError);
  assert.throws(() => runDir(root, '../etc'), TypeError);
  const real = freshRoot();
  assert.equal(readHparamsFile(real, ident.id), undefined);
  writeHparamsFile(real, { ...ident, kind: 'lottery', hparams: hp });
  assert.deepEqual(readHparamsFile(real, ident.id), { ...ident, kind: 'lottery', hparams: hp });
  writeFileSync(hparamsPath(real, ident.id), '{"id": 1');
  assert.throws(() => readHparamsFile(real, ident.id), UserError);
});
