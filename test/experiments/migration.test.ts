// A store written by release 0.1 (schema 1; an unfinished lottery run killed mid-job and a finished NEAT
// run) opens, migrates without loss, lists, and resumes to the result release 0.1 itself resumes to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../../src/backend/index.js';
import { openStore, SCHEMA_VERSION } from '../../src/store/db.js';
import { digestOf, expected, FIXTURES, lotteryRecords } from './digest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const winnow = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('a release-0.1 store migrates, lists as before, and resumes to the identical result', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-migrate-'));
  try {
    const store = join(dir, 'store');
    cpSync(join(FIXTURES, 'store'), store, { recursive: true });
    const before = JSON.parse(readFileSync(join(FIXTURES, 'records', 'fixture-runs-list.json'), 'utf8')) as Array<Record<string, unknown>>;
    const list = winnow(['runs', 'list', '--store', store, '--json']);
    assert.equal(list.status, 0, list.stderr);
    const after = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    const pick = (r: Record<string, unknown>) => ({ id: r['id'], kind: r['kind'], status: r['status'], model: r['model'], dataset: r['dataset'], jobsDone: r['jobsDone'], canonical: r['canonical'] });
    assert.deepEqual(after.map(pick), before.map(pick));
    const db = openStore(store);
    try {
      assert.equal(SCHEMA_VERSION, 2);
      const neat = db.listRuns('neat')[0]!;
      const job = db.listJobs(neat.id)[0]!;
      assert.equal(job.key, 'seed_1');
      assert.equal((job.result as { evaluations: number }).evaluations > 0, true);
      const show = winnow(['runs', 'show', neat.id, '--store', store]);
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, /seed\s+solved/);
    } finally { db.close(); }
    const r = winnow(['lottery', '--model', 'mlp:784-16-10', '--levels', '2', '--iterations', '200', '--eval-every', '100', '--store', store, '--no-report', '--progress', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const isa = getBackend('native').detail;
    const want = expected('fixture-resumed', isa), got = digestOf(lotteryRecords(store, 'lottery_b740affdf11500ec'));
    assert.deepEqual(got.jobs, want.jobs);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
