// The sparse_train and sparse_study experiments through the CLI and the launch path: one-line errors with exit 2
// for bad input, a run that resumes from the store (read back, identical), conv models, and a small study with
// lottery tickets whose report holds the chart and the cost table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, resolveHparams, sparseStudyExperiment, sparseTrainExperiment } from '../../src/experiments/index.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test('sparse-train: bad input is one line naming the flag, exit 2', () => {
  const store = mkdtempSync(join(tmpdir(), 'winnow-sparse-'));
  const cases: Array<[string[], RegExp]> = [
    [['--density', '0'], /--density: expected a number in \(0, 1\], got 0/],
    [['--density', '1.5'], /--density: expected a number in \(0, 1\]/],
    [['--method', 'lth'], /--method: expected one of static, set, rigl, snip, grasp, synflow/],
    [['--method', 'rigl', '--ablation', 'invert'], /--ablation invert needs a scoring method/],
    [['--method', 'snip', '--distribution', 'uniform'], /--distribution applies to static, set and rigl/],
    [['--epochs', '1', '--iterations', '5'], /mutually exclusive/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(['sparse-train', '--store', store, ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const s = run(['sparse-study', '--store', store, '--densities', '5%,0']);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--densities: each density must be in \(0, 1\]/);
});

test('sparse_train: a run on a conv model stores its replicates and reads them back identically', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-sparse-'));
  const h = resolveHparams(sparseTrainExperiment, { model: 'conv:4-pool/16', dataset: 'synthetic:images', method: 'rigl', density: 0.3, iterations: 60, deltaT: 10, replicates: 2 });
  const a = await launch(sparseTrainExperiment, h, { root, backend: 'reference' });
  assert.equal(a.summary.results.length, 2);
  assert.ok(a.summary.results.every((r) => r.maskUpdates === 4));
  const b = await launch(sparseTrainExperiment, h, { root, backend: 'reference' });
  assert.deepEqual(b.summary, a.summary);
});

test('sparse_study: methods × densities with IMP tickets and every ablation; chart and cost table in the report', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-sparse-'));
  const h = resolveHparams(sparseStudyExperiment, {
    model: 'mlp:20-16-4', dataset: 'synthetic:blobs', methods: ['static', 'rigl', 'snip'], densities: [0.5, 0.2], ablations: ['none', 'shuffle', 'reinit', 'invert'],
    iterations: 60, replicates: 1, deltaT: 20,
  });
  const l = await launch(sparseStudyExperiment, h, { root, backend: 'reference' });
  const series = [...new Set(l.summary.rows.map((r) => r.series))].sort();
  assert.deepEqual(series, ['imp', 'imp/invert', 'imp/reinit', 'imp/shuffle', 'rigl', 'rigl/reinit', 'rigl/shuffle', 'snip', 'snip/invert', 'snip/reinit', 'snip/shuffle',
    'static', 'static/reinit', 'static/shuffle']);
  assert.equal(l.summary.rows.length, series.length * 2);
  // One IMP lottery run whose levels land on both densities; its tickets retrained here match its own.
  assert.equal(l.summary.lotteryRuns.length, 1);
  for (const d of [0.5, 0.2]) {
    const imp = l.summary.rows.find((r) => r.series === 'imp' && r.density === d)!;
    assert.ok(Math.abs(imp.actualDensity.mean / d - 1) < 0.02, `ticket density ${imp.actualDensity.mean} for ${d}`);
  }
  const tickets = l.jobs.filter((j) => j.spec.key.startsWith('imp/none/')).map((j) => j.result as { earlyStop: { testAccuracy: number }; ticket: { lotteryAccuracy: number; level: number } });
  assert.equal(tickets.length, 2);
  for (const t of tickets) { assert.ok(t.ticket.level >= 1); assert.equal(t.earlyStop.testAccuracy, t.ticket.lotteryAccuracy); }
  const md = readFileSync(l.reportFiles.find((f) => f.endsWith('.md'))!, 'utf8');
  assert.match(md, /GMACs total/);
  assert.match(md, /imp: lottery tickets by iterative magnitude pruning/);
  assert.match(md, /Ablations \(Frankle et al\. 2021\)/);
  assert.ok(l.reportFiles.some((f) => f.endsWith('.svg') && existsSync(f)));
  // RigL pays for its dense gradients; the ticket for the dense training and the IMP levels that found it.
  const rigl = l.summary.rows.find((r) => r.series === 'rigl' && r.density === 0.2)!, stat = l.summary.rows.find((r) => r.series === 'static' && r.density === 0.2)!;
  assert.ok(rigl.maskUpdateMacs.mean > 0 && rigl.macs.mean > stat.macs.mean);
  const imp = l.summary.rows.find((r) => r.series === 'imp' && r.density === 0.2)!;
  assert.ok(imp.macs.mean > 3 * stat.macs.mean);
});

test('sparse_study without tickets or ablations: the report describes only what ran', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-sparse-'));
  const h = resolveHparams(sparseStudyExperiment, {
    model: 'mlp:20-16-4', dataset: 'synthetic:blobs', methods: ['static'], densities: [0.5], tickets: false, iterations: 20, replicates: 1,
  });
  const l = await launch(sparseStudyExperiment, h, { root, backend: 'reference' });
  assert.deepEqual([...new Set(l.summary.rows.map((r) => r.series))], ['static']);
  const md = readFileSync(l.reportFiles.find((f) => f.endsWith('.md'))!, 'utf8');
  assert.doesNotMatch(md, /lottery tickets by iterative|Ablations|lottery run none/);
});
