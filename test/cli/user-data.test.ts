// The user's data through the commands: the lottery on a CSV file and on an IDX folder with
// non-standard names; --data-dir on lottery and compare; train's default dataset is lottery's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { resolveHparams, runIdentity, trainExperiment } from '../../src/experiments/index.js';
import type { TrainHparams } from '../../src/experiments/train/index.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const embedded = fileURLToPath(new URL('../../../data/embedded/fashion-mnist-mini/', import.meta.url));

function run(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, WINNOW_DATA: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('winnow lottery on a CSV file (named label column, string classes)', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-csv-'));
  const rows = Array.from({ length: 240 }, (_, i) => {
    const k = i % 3;
    return `${k + Math.sin(i) * 0.3},${2 * k + Math.cos(i * 7) * 0.4},${(i * 13) % 10},${['setosa', 'versicolor', 'virginica'][k]}`;
  });
  writeFileSync(join(d, 'iris.csv'), ['a,b,noise,species', ...rows].join('\n'));
  const r = run(['lottery', '--model', 'mlp:3-16-3', '--dataset', 'csv:iris.csv?label=species', '--iterations', '100', '--eval-every', '50', '--levels', '2', '--json', '--store', 'runs'], d);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { hparams: { dataset: string }; summary: Array<{ level: number; branch: string; earlyStopTestAccuracy: { mean: number } }> };
  assert.equal(out.hparams.dataset, 'csv:iris.csv?label=species');
  assert.equal(out.summary.length, 7);
  const dense = out.summary.find((l) => l.level === 0)!;
  assert.ok(dense.earlyStopTestAccuracy.mean > 0.8, JSON.stringify(dense));
});

test('winnow lottery on an IDX folder with non-standard file names; --data-dir is a hyperparameter', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-idxdir-'));
  copyFileSync(join(embedded, 'train-images-idx3-ubyte.gz'), join(d, 'imgs_train.gz'));
  writeFileSync(join(d, 'train.labels'), gunzipSync(readFileSync(join(embedded, 'train-labels-idx1-ubyte.gz'))));
  copyFileSync(join(embedded, 't10k-images-idx3-ubyte.gz'), join(d, 'x-t10k'));
  copyFileSync(join(embedded, 't10k-labels-idx1-ubyte.gz'), join(d, 'y-test.gz'));
  const r = run(['lottery', '--model', 'mlp:784-20-10', '--dataset', 'idx:.', '--iterations', '40', '--eval-every', '40', '--levels', '1', '--controls', 'reinit', '--json', '--store', 'runs'], d);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { runId: string; summary: unknown[] };
  assert.equal(out.summary.length, 3);
  // --data-dir reaches the lottery's loader (and names the folder in the error), and changes the run id.
  const bad = run(['lottery', '--dataset', 'mnist', '--data-dir', join(d, 'nowhere'), '--iterations', '40', '--eval-every', '40', '--levels', '0', '--store', 'runs'], d);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /mnist: --data-dir .*nowhere does not hold the dataset/);
  const c = run(['compare', '--help'], d);
  assert.match(c.stdout, /--data-dir <dir>/);
});

test('winnow train defaults to the embedded subset, as lottery and compare do, under a new run id', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-traindef-'));
  const r = run(['train', '--model', 'mlp:784-10-10', '--iterations', '20', '--eval-every', '20', '--json', '--store', 'runs'], d);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { dataset: string }).dataset, 'fashion-mnist-mini');
  const id = (s: string): string => /train run (train_[0-9a-f]{16}) in runs/.exec(s)![1]!;
  const explicit = run(['train', '--model', 'mlp:784-10-10', '--iterations', '20', '--eval-every', '20', '--dataset', 'fashion-mnist-mini', '--json', '--store', 'runs'], d);
  assert.equal(id(explicit.stderr), id(r.stderr));
  // Run ids are hashed against the old default: a run stored from a bare `winnow train` (full
  // Fashion-MNIST) keeps its id under an explicit --dataset fashion-mnist, and the subset gets its own.
  const ident = (g: Partial<TrainHparams>) => runIdentity(trainExperiment, resolveHparams(trainExperiment, g));
  assert.equal(ident({ dataset: 'fashion-mnist' }).canonical, '');
  assert.equal(ident({}).canonical, 'dataset="fashion-mnist-mini"');
});
