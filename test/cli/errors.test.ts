// Bad input through the CLI: one clear line on stderr naming the file or flag, a non-zero exit,
// never a stack trace — and nothing already stored is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const embedded = fileURLToPath(new URL('../../../data/embedded/fashion-mnist-mini', import.meta.url));

function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, WINNOW_DATA: '' } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function expectError(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.notEqual(r.status, 0, `expected failure for ${args.join(' ')}`);
  assert.match(r.stderr, pattern, `stderr for ${args.join(' ')}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace for ${args.join(' ')}: ${r.stderr}`);
}

/** A copy of the embedded set in a temp dir, with one file replaced. */
function brokenDataDir(file: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-baddata-'));
  for (const f of readdirSync(embedded)) if (f.endsWith('.gz')) copyFileSync(join(embedded, f), join(dir, f));
  writeFileSync(join(dir, file), bytes);
  return dir;
}

const train = (dataDir: string): string[] => ['train', '--dataset', 'mnist', '--data-dir', dataDir, '--iterations', '1'];

test('train: unknown model, dataset, flag, and a density outside (0, 1]', () => {
  expectError(['train', '--model', 'resnet9000', '--dataset', 'fashion-mnist-mini', '--iterations', '1'], /--model 'resnet9000'.*unknown model/);
  expectError(['train', '--model', 'mlp:100-10', '--dataset', 'fashion-mnist-mini', '--iterations', '1'], /input size 100 does not match .*784/);
  expectError(['train', '--dataset', 'cifar-1000'], /cifar-1000/);
  expectError(['train', '--no-such-flag'], /unknown option '--no-such-flag'/);
  expectError(['train', '--density', '0'], /--density: expected a number in \(0, 1\], got 0/);
  expectError(['train', '--density', '1.5'], /--density: expected a number in \(0, 1\], got 1.5/);
  expectError(['train', '--density', 'abc'], /--density: expected a number, got 'abc'/);
  expectError(['train', '--epochs', '1', '--iterations', '5'], /--epochs and --iterations are mutually exclusive/);
});

test('train: truncated, corrupt, wrong-magic and mismatched IDX files name the file', () => {
  const images = readFileSync(join(embedded, 'train-images-idx3-ubyte.gz'));
  expectError(train(brokenDataDir('train-images-idx3-ubyte.gz', images.subarray(0, images.length >> 1))), /train-images-idx3-ubyte\.gz/);
  const raw = Buffer.from(gzipSync(Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28, ...new Array(784).fill(0)])));
  expectError(train(brokenDataDir('train-images-idx3-ubyte.gz', raw)), /train-images-idx3-ubyte\.gz.*(count|labels|images|mismatch)/i);
  const wrongMagic = Buffer.from(gzipSync(Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 7])));
  expectError(train(brokenDataDir('train-images-idx3-ubyte.gz', wrongMagic)), /train-images-idx3-ubyte\.gz.*magic/i);
  expectError(train(brokenDataDir('train-labels-idx1-ubyte.gz', Buffer.from('not a gzip file at all'))), /train-labels-idx1-ubyte\.gz/);
});

const tiny = ['--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200', '--model', 'mlp:8-12-3', '--iterations', '40', '--eval-every', '20', '--levels', '2', '--backend', 'reference', '--no-report'];

test('lottery: conflicting flags and impossible pruning rates', () => {
  expectError(['lottery', ...tiny, '--rate-fc', '1.5'], /--rate-fc: a pruning rate must be in \[0, 1\)/);
  expectError(['lottery', ...tiny, '--rate-fc', '-0.1'], /--rate-fc/);
  expectError(['lottery', ...tiny, '--one-shot', '0.1'], /--one-shot .*--levels 1/);
  expectError(['lottery', ...tiny, '--rewind-iter', '40'], /--rewind-iter 40 must be below --iterations 40/);
  expectError(['lottery', '--protocol', 'lth-2019', '--iterations', '10'], /--iterations 10 conflicts with --protocol lth-2019/);
  expectError(['lottery', ...tiny, '--controls', 'reinit,bogus'], /--controls: unknown control 'bogus'/);
});

test('lottery: a corrupted store or run directory is a clear error and nothing stored is lost', () => {
  const store = mkdtempSync(join(tmpdir(), 'winnow-badstore-'));
  const ok = run(['lottery', ...tiny, '--store', store]);
  assert.equal(ok.status, 0, ok.stderr);
  // A damaged file in the run directory, found when a job must be (re)computed — here the last
  // ticket's row is removed, as if the process died between writing files and committing the row.
  const files = (d: string): string[] => readdirSync(d).flatMap((n) => statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]);
  const mask = files(store).find((f) => /level_2[\\/]ticket[\\/]mask\.wt$/.test(f))!;
  const maskBytes = readFileSync(mask);
  truncateSync(mask, maskBytes.length - 7);
  const sql = new Database(join(store, 'winnow.db'));
  sql.prepare("DELETE FROM job_results WHERE job_key = 'replicate_0/level_2/ticket'").run();
  const before = (sql.prepare('SELECT COUNT(*) AS n FROM job_results').get() as { n: number }).n;
  sql.close();
  expectError(['lottery', ...tiny, '--store', store], /mask\.wt/);
  const after = new Database(join(store, 'winnow.db'), { readonly: true });
  assert.equal((after.prepare("SELECT COUNT(*) AS n FROM job_results WHERE status = 'done'").get() as { n: number }).n, before);
  after.close();
  writeFileSync(mask, maskBytes);
  const resumed = run(['lottery', ...tiny, '--store', store]);
  assert.equal(resumed.status, 0, resumed.stderr);
  // A damaged database: clear error, the file left untouched.
  const db = join(store, 'winnow.db');
  const garbage = Buffer.alloc(8192, 0x5a);
  writeFileSync(db, garbage);
  for (const ext of ['-wal', '-shm']) try { writeFileSync(db + ext, ''); } catch { /* absent */ }
  expectError(['lottery', ...tiny, '--store', store], /winnow\.db/);
  assert.deepEqual(readFileSync(db), garbage);
  expectError(['runs', 'list', '--store', store], /winnow\.db/);
});
