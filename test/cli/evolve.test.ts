// `winnow evolve --runs N` is resumable through the store: finished runs are read back, the rest run, and
// the summary comes out the same as an uninterrupted call; one process per run and output folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function evolve(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'evolve', '--task', 'xor', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('evolve --runs N resumes through the store: finished seeds are read back, the rest run, the summary equals an uninterrupted call', () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-evolve-runs-'));
  const full = evolve(['--runs', '3', '--seed', '5', '--out', join(root, 'full'), '--store', join(root, 'store-a'), '--json']);
  assert.equal(full.status, 0, full.stderr);
  const fullJson = JSON.parse(full.stdout) as { runs: Array<{ seed: number; evaluations: number; generations: number }> };
  assert.deepEqual(fullJson.runs.map((r) => r.seed), [5, 6, 7]);
  assert.ok(existsSync(join(root, 'full', 'seed-6', 'best-genome.json')));

  // as if the process died after two runs: the same command with --runs 3 finishes only seed 7
  const part = join(root, 'part'), store = join(root, 'store-b');
  const first = evolve(['--runs', '2', '--seed', '5', '--out', part, '--store', store, '--json']);
  assert.equal(first.status, 0, first.stderr);
  const stamp = statSync(join(part, 'seed-5', 'best-genome.json')).mtimeMs;
  const resumed = evolve(['--runs', '3', '--seed', '5', '--out', part, '--store', store, '--json', '--progress', 'json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const strip = (rs: Array<Record<string, unknown>>) => rs.map(({ wallSeconds: _w, outDir: _o, ...rest }) => rest);
  assert.deepEqual(strip(JSON.parse(resumed.stdout).runs), strip(fullJson.runs as never));
  const events = resumed.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; key?: string; resumed?: boolean });
  assert.deepEqual(events.filter((e) => e.type === 'job-done').map((e) => [e.key, e.resumed]), [['seed_5', true], ['seed_6', true], ['seed_7', false]]);
  assert.equal(statSync(join(part, 'seed-5', 'best-genome.json')).mtimeMs, stamp, 'the finished run was not run again');
});

test('a second process on the same run or output folder refuses with a clear message', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-evolve-lock-'));
  const args = [cli, 'evolve', '--task', 'double-pole-nv', '--runs', '50', '--out', join(root, 'out'), '--store', join(root, 'store'), '--progress', 'none'];
  const first = spawn(process.execPath, args, { stdio: 'ignore' });
  try {
    const lock = join(root, 'out', '.lock');
    for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(existsSync(lock), 'the first process holds the output folder');
    const second = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, /^winnow: run neat_[0-9a-f]+ in .* is in use by winnow process \d+ .*; wait for it to finish or stop it/);
    assert.equal(second.stderr.trim().split('\n').length, 1);
    const other = spawnSync(process.execPath, [...args.slice(0, 3), 'double-pole', ...args.slice(4)], { encoding: 'utf8' });
    assert.match(other.stderr, /output folder .* is in use by winnow process/);
  } finally {
    first.kill('SIGKILL');
    await new Promise((r) => first.on('close', r));
  }
  // the killed owner's lock is stale: the next process takes it over and finishes
  const after = spawnSync(process.execPath, [cli, 'evolve', '--task', 'xor', '--out', join(root, 'out'), '--store', join(root, 'store'), '--progress', 'none'], { encoding: 'utf8' });
  assert.equal(after.status, 0, after.stderr);
});

test('evolve --evaluate replays a saved best genome; bad genome files give one line naming the file and field', () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-evolve-eval-'));
  const out = join(root, 'run');
  const r = evolve(['--seed', '3', '--out', out, '--store', join(root, 'store')]);
  assert.equal(r.status, 0, r.stderr);
  const genome = join(out, 'best-genome.json');
  const ev = evolve(['--evaluate', genome, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const res = JSON.parse(ev.stdout) as { solved: boolean; fitness: number };
  assert.equal(res.solved, true);
  assert.equal(res.fitness, (JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { fitness: number }).fitness);

  const bad = (name: string, content: string, pattern: RegExp, task = 'xor') => {
    const p = join(root, name);
    writeFileSync(p, content);
    const e = spawnSync(process.execPath, [cli, 'evolve', '--task', task, '--evaluate', p], { encoding: 'utf8' });
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, pattern);
    assert.doesNotMatch(e.stderr, /\n\s+at /);
  };
  const g = JSON.parse(readFileSync(genome, 'utf8')) as { conns: Array<{ to: number }>; nodes: unknown[] };
  bad('torn.json', '{"id": 1, "nIn"', /genome file .*torn\.json: not valid JSON/);
  bad('noconns.json', JSON.stringify({ ...g, conns: 'none' }), /genome file .*noconns\.json: field 'conns'/);
  bad('dangling.json', JSON.stringify({ ...g, conns: [...g.conns, { innovation: 999, from: 0, to: 77, weight: 1, enabled: true }] }), /connection 999 joins 0→77, but the genome has no node 77/);
  bad('wrongtask.json', readFileSync(genome, 'utf8'), /has 3 inputs and 1 outputs, task double-pole needs 7 and 1/, 'double-pole');
  const missing = spawnSync(process.execPath, [cli, 'evolve', '--task', 'xor', '--evaluate', join(root, 'nope.json')], { encoding: 'utf8' });
  assert.match(missing.stderr, /genome file .*nope\.json: cannot read \(no such file/);
});

test('evolve --store s2 writes its files under s2 (not ./runs) and indexes the run there', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'winnow-evolve-store-'));
  const r = spawnSync(process.execPath, [cli, 'evolve', '--task', 'xor', '--store', 's2', '--json'], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { outDir: string; runId: string };
  assert.equal(out.outDir, join('s2', 'neat', 'xor-1'));
  assert.ok(existsSync(join(cwd, 's2', 'neat', 'xor-1', 'best-genome.json')));
  assert.ok(existsSync(join(cwd, 's2', out.runId, 'hparams.json')));
  assert.ok(!existsSync(join(cwd, 'runs')), 'evolve wrote under ./runs');
});
