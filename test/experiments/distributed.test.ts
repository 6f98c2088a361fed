// Sweeps on a real Redis (started here on a free loopback port): two `winnow worker` processes finish a
// 12-job sweep while one is SIGKILLed midway, and the store ends identical to a local sweep — nothing lost,
// nothing duplicated. A coordinator SIGKILLed mid-sweep and restarted re-attaches to the jobs it queued and
// finishes with the same store. Also the one-line errors: unreachable Redis, a bad sweep file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { digestOf, lotteryRecords } from './digest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const REDIS = '/usr/bin/redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));

const sweep = {
  experiment: 'lottery',
  base: { dataset: 'synthetic:blobs?features=12&classes=3&train=600&test=200', model: 'mlp:12-24-3', iterations: 300, evalEvery: 50, levels: 1, controls: ['reinit', 'random-prune'] },
  grid: { seed: [0, 1, 2] },
};

function doneJobs(store: string): number {
  const path = join(store, 'winnow.db');
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true });
  try { return (db.prepare("SELECT COUNT(*) AS n FROM job_results WHERE status = 'done'").get() as { n: number }).n; } catch { return 0; } finally { db.close(); }
}

test('two queue workers, one SIGKILLed midway, finish a 12-job sweep identical to a local one', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(REDIS), `${REDIS} is missing: .ci/run installs Debian's redis-server`);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-queue-'));
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const workers: ChildProcess[] = [];
  try {
    const file = join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify(sweep));
    const local = spawnSync(process.execPath, [cli, 'sweep', file, '--store', join(dir, 'local'), '--backend', 'reference', '--workers', '1', '--progress', 'none', '--json'], { encoding: 'utf8' });
    assert.equal(local.status, 0, local.stderr);
    const runs = (JSON.parse(local.stdout) as { runs: Array<{ runId: string; jobs: number }> }).runs;
    assert.deepEqual(runs.map((r) => r.jobs), [4, 4, 4]);

    for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) await sleep(100);
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [cli, 'worker', '--queue', url, '--lock-seconds', '2'], { stdio: 'ignore' }));
    const store = join(dir, 'queued');
    const coordinator = spawn(process.execPath, [cli, 'sweep', file, '--store', store, '--backend', 'reference', '--queue', url, '--progress', 'none', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    coordinator.stdout!.on('data', (b) => { out += String(b); });
    coordinator.stderr!.on('data', (b) => { err += String(b); });
    // Kill one worker once some jobs are done and others are still to come.
    for (let i = 0; i < 600 && doneJobs(store) < 3; i++) await sleep(50);
    assert.ok(doneJobs(store) < 12, 'the kill lands midway');
    workers[0]!.kill('SIGKILL');
    const code = await new Promise<number | null>((resolve) => coordinator.once('exit', resolve));
    assert.equal(code, 0, err);
    assert.deepEqual((JSON.parse(out) as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId), runs.map((r) => r.runId));
    assert.equal(doneJobs(store), 12);
    for (const r of runs) assert.deepEqual(digestOf(lotteryRecords(store, r.runId)), digestOf(lotteryRecords(join(dir, 'local'), r.runId)), r.runId);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    redis.kill('SIGKILL');
    await Promise.all([...workers, redis].map(exited));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a coordinator SIGKILLed mid-sweep and restarted re-attaches to its queued jobs: same store, every job run once', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(REDIS), `${REDIS} is missing: .ci/run installs Debian's redis-server`);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-queue-restart-'));
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const workers: ChildProcess[] = [];
  const coordinators: ChildProcess[] = [];
  try {
    const file = join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify(sweep));
    const local = spawnSync(process.execPath, [cli, 'sweep', file, '--store', join(dir, 'local'), '--backend', 'reference', '--workers', '1', '--progress', 'none', '--json'], { encoding: 'utf8' });
    assert.equal(local.status, 0, local.stderr);
    const runs = (JSON.parse(local.stdout) as { runs: Array<{ runId: string }> }).runs;

    for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) await sleep(100);
    const url = `redis://127.0.0.1:${port}`;
    // No worker dies here, so a long lock: under load a short one could hand a running job to the other worker.
    const log: string[] = [];
    for (let i = 0; i < 2; i++) {
      const w = spawn(process.execPath, [cli, 'worker', '--queue', url, '--lock-seconds', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let buf = '';
      w.stderr!.on('data', (b) => { buf += String(b); const lines = buf.split('\n'); buf = lines.pop()!; log.push(...lines); });
      workers.push(w);
    }
    const store = join(dir, 'queued');
    const coordinate = () => {
      const c = spawn(process.execPath, [cli, 'sweep', file, '--store', store, '--backend', 'reference', '--queue', url, '--progress', 'none', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      coordinators.push(c);
      const out = { stdout: '', stderr: '' };
      c.stdout!.on('data', (b) => { out.stdout += String(b); });
      c.stderr!.on('data', (b) => { out.stderr += String(b); });
      return { c, out };
    };
    const first = coordinate();
    for (let i = 0; i < 1200 && doneJobs(store) < 3; i++) await sleep(50);
    assert.ok(doneJobs(store) >= 3 && doneJobs(store) < 12, `the kill lands midway (${doneJobs(store)} jobs done)`);
    first.c.kill('SIGKILL');
    await exited(first.c);
    const atKill = doneJobs(store);
    await sleep(1500); // the workers go on with the jobs already queued while no coordinator listens
    const second = coordinate();
    const code = await new Promise<number | null>((resolve) => second.c.once('exit', resolve));
    assert.equal(code, 0, second.out.stderr);
    assert.ok(atKill < 12, 'jobs were left to the restarted coordinator');
    assert.deepEqual((JSON.parse(second.out.stdout) as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId), runs.map((r) => r.runId));
    assert.equal(doneJobs(store), 12);
    for (const r of runs) assert.deepEqual(digestOf(lotteryRecords(store, r.runId)), digestOf(lotteryRecords(join(dir, 'local'), r.runId)), r.runId);
    // Nothing duplicated: every job ran exactly once on the workers, and the queue holds 12 completed jobs, none failed.
    await sleep(200);
    const started = log.filter((l) => l.endsWith(': started'));
    assert.equal(started.length, 12, log.join('\n'));
    assert.equal(new Set(started).size, 12, log.join('\n'));
    const count = (set: string) => Number(spawnSync('redis-cli', ['-p', String(port), 'zcard', `bull:winnow-jobs:${set}`], { encoding: 'utf8' }).stdout.trim());
    assert.equal(count('completed'), 12);
    assert.equal(count('failed'), 0);
  } finally {
    for (const p of [...coordinators, ...workers]) p.kill('SIGKILL');
    redis.kill('SIGKILL');
    await Promise.all([...coordinators, ...workers, redis].map(exited));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep and worker: unreachable Redis and bad sweep files are one-line errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-sweep-bad-'));
  try {
    const port = await freePort();
    const file = join(dir, 's.json');
    writeFileSync(file, JSON.stringify(sweep));
    const one = (args: string[], re: RegExp) => {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('winnow:'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, re);
    };
    one(['worker', '--queue', `redis://127.0.0.1:${port}`], /--queue redis:\/\/127\.0\.0\.1:\d+: cannot reach Redis \(ECONNREFUSED\)/);
    one(['sweep', file, '--store', join(dir, 's'), '--queue', `redis://127.0.0.1:${port}`], /cannot reach Redis/);
    one(['sweep', file, '--queue', 'http://x'], /--queue: expected redis:\/\/HOST:PORT/);
    writeFileSync(file, JSON.stringify({ ...sweep, grid: { sead: [1] } }));
    one(['sweep', file, '--store', join(dir, 's')], /grid\.sead\[0\]: unknown hyperparameter 'sead' of lottery/);
    writeFileSync(file, JSON.stringify({ ...sweep, grid: { lr: [0.1, -1] } }));
    one(['sweep', file, '--store', join(dir, 's')], /grid\.lr\[1\]\.lr: --lr: expected a number in \(0, 100\], got -1/);
    writeFileSync(file, JSON.stringify({ ...sweep, experiment: 'nope' }));
    one(['sweep', file, '--store', join(dir, 's')], /field 'experiment': expected one of lottery/);
    writeFileSync(file, JSON.stringify({ experiment: 'compare', base: { iterations: 10 } }));
    one(['sweep', file, '--store', join(dir, 's'), '--queue', `redis://127.0.0.1:${port}`], /--queue: experiment compare runs only locally \(its jobs start runs of their own in the store\)/);
    writeFileSync(file, '{"experiment": "lottery", "grid": ');
    one(['sweep', file, '--store', join(dir, 's')], /sweep file .*s\.json/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
