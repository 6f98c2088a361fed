// `winnow evolve --runs N` is resumable: finished runs are skipped, the interrupted one continues from its
// checkpoint, and the summary comes out the same as an uninterrupted call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function evolve(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'evolve', '--task', 'xor', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('evolve --runs N --resume skips finished runs and reproduces the uninterrupted summary', () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-evolve-runs-'));
  const store = join(root, 'store');
  const full = evolve(['--runs', '3', '--seed', '5', '--out', join(root, 'full'), '--store', store, '--json']);
  assert.equal(full.status, 0, full.stderr);
  const fullJson = JSON.parse(full.stdout) as { runs: Array<{ seed: number; evaluations: number; generations: number }> };
  assert.deepEqual(fullJson.runs.map((r) => r.seed), [5, 6, 7]);
  assert.ok(existsSync(join(root, 'full', 'seed-6', 'best-genome.json')));

  // as if the process died during the second run: the summary lists only the first
  const part = join(root, 'part');
  mkdirSync(part);
  const summary = JSON.parse(readFileSync(join(root, 'full', 'summary.json'), 'utf8')) as { runs: unknown[] };
  writeFileSync(join(part, 'summary.json'), JSON.stringify({ ...summary, runs: summary.runs.slice(0, 1) }));
  const resumed = evolve(['--runs', '3', '--seed', '5', '--out', part, '--store', store, '--json', '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const strip = (rs: Array<Record<string, unknown>>) => rs.map(({ wallSeconds: _w, ...rest }) => rest);
  assert.deepEqual(strip(JSON.parse(resumed.stdout).runs), strip(fullJson.runs as never));
  assert.ok(!existsSync(join(part, 'seed-5')), 'the finished run was run again');

  // a summary from other seeds is refused with one line
  const wrong = evolve(['--runs', '2', '--seed', '5', '--out', part, '--store', store, '--resume']);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /--resume: .*summary\.json is for task "xor", seeds \[5,7\], not xor seeds \[5,6\]/);
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
