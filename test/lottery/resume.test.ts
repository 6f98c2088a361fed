// A lottery run killed with SIGKILL at random moments, and resumed by rerunning the same command,
// ends with masks and metrics identical to an uninterrupted run with the same seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/db.js';
import { loadTensors } from '../../src/store/tensorfile.js';
import { Rng } from '../../src/util/rng.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const args = (store: string): string[] => [cli, 'lottery', '--backend', 'reference', '--dataset', 'synthetic:blobs?features=24&classes=4&train=1800&test=400',
  '--model', 'mlp:24-40-20-4', '--iterations', '150', '--eval-every', '25', '--batch-size', '30', '--levels', '3', '--controls', 'reinit,random-prune,finetune',
  '--replicates', '2', '--store', store, '--no-report', '--json', '--checkpoint-seconds', '0'];

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p, suffix) : p.endsWith(suffix) ? [p] : [];
  });
}

/** Everything a run computes except timings: job results and every metrics row, plus every mask. */
function outcome(store: string): { jobs: unknown[]; masks: Record<string, string> } {
  const db = openStore(store);
  try {
    const run = db.listRuns('lottery')[0]!;
    const jobs = db.listJobs(run.id).map((j) => {
      const { wallSeconds: _w, stepSeconds: _s, ...r } = j.result as Record<string, unknown>;
      return { key: j.key, status: j.status, result: r, metrics: db.getMetrics(run.id, j.key) };
    });
    const masks: Record<string, string> = {};
    for (const f of files(store, 'mask.wt').concat(files(store, 'weights-final.wt'))) {
      const t = loadTensors(f).tensors;
      masks[relative(store, f)] = Object.keys(t).sort().map((k) => Buffer.from(t[k]!.buffer, t[k]!.byteOffset, t[k]!.byteLength).toString('base64')).join('|');
    }
    return { jobs, masks };
  } finally {
    db.close();
  }
}

test('SIGKILL at random moments, then resume: identical masks and metrics', { timeout: 600_000 }, async () => {
  const a = mkdtempSync(join(tmpdir(), 'winnow-lottery-a-')), b = mkdtempSync(join(tmpdir(), 'winnow-lottery-b-'));
  try {
    const t0 = Date.now();
    const full = spawnSync(process.execPath, args(a), { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);
    const duration = Date.now() - t0;
    const rng = new Rng(2024);
    let kills = 0;
    // Kill points spread over the run: each attempt gets at most 1/8 of a full run's time, so six
    // kills cannot finish the run; some land during start-up, most during training or writes.
    for (let attempt = 0; attempt < 12 && kills < 6; attempt++) {
      const child = spawn(process.execPath, args(b), { stdio: 'ignore' });
      const delay = 100 + rng.int(Math.max(1, Math.floor(duration / 8)));
      const exited = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(false); }, delay);
        child.on('exit', () => { clearTimeout(timer); resolve(true); });
      });
      if (!exited) { kills++; await new Promise((r) => child.on('close', r)); }
      else break;
    }
    assert.ok(kills >= 5, `expected at least 5 kills, got ${kills}`);
    const resumed = spawnSync(process.execPath, args(b), { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    const oa = outcome(a), ob = outcome(b);
    assert.equal(oa.jobs.length, 2 * (1 + 3 * 4));
    assert.deepEqual(ob.jobs, oa.jobs);
    assert.deepEqual(Object.keys(ob.masks).sort(), Object.keys(oa.masks).sort());
    for (const k of Object.keys(oa.masks)) assert.equal(ob.masks[k], oa.masks[k], `${k} differs`);
    assert.ok(!files(b, '.wt').some((f) => f.endsWith('checkpoint.wt')), 'no checkpoint is left behind');
    assert.deepEqual(JSON.parse(resumed.stdout).summary.length, JSON.parse(full.stdout).summary.length);
  } finally {
    for (const d of [a, b]) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
  }
});
