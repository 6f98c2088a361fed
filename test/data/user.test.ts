// The user's data: idx:DIR (any file names, gz or not, chosen by header), csv:FILE, npy:X,y — loading,
// splits, scaling, and one-line errors naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { clearDatasetCache, loadDataset } from '../../src/data/registry.js';
import { loadUserData, parseNpy } from '../../src/data/user.js';
import { UserError } from '../../src/util/errors.js';
import { npyBytes } from './npy-writer.js';

const embedded = fileURLToPath(new URL('../../../data/embedded/fashion-mnist-mini/', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'winnow-user-'));

function oneLine(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, pattern);
    return true;
  });
}

function idxDir(): string {
  const d = tmp();
  copyFileSync(join(embedded, 'train-images-idx3-ubyte.gz'), join(d, 'my_train_x.gz'));
  writeFileSync(join(d, 'TRAIN.lab'), gunzipSync(readFileSync(join(embedded, 'train-labels-idx1-ubyte.gz'))));
  copyFileSync(join(embedded, 't10k-images-idx3-ubyte.gz'), join(d, 'imgs.t10k'));
  copyFileSync(join(embedded, 't10k-labels-idx1-ubyte.gz'), join(d, 'test_y.bin.gz'));
  writeFileSync(join(d, 'notes-train.txt'), 'not an IDX file');
  mkdirSync(join(d, 'sub-test'));
  return d;
}

test('idx:DIR picks files by IDX header and name, gzipped or not, and matches the embedded set', () => {
  const d = idxDir();
  const u = loadDataset(`idx:${d}`, { seed: 3 });
  const ref = loadDataset('fashion-mnist-mini', { seed: 3 });
  assert.deepEqual(u.shape, [1, 28, 28]);
  assert.equal(u.classes, 10);
  assert.equal(u.train.count + u.validation.count, ref.train.count + ref.validation.count);
  assert.deepEqual(u.test.images, ref.test.images);
  assert.deepEqual(u.test.labels, ref.test.labels);
  assert.match(u.source, /my_train_x\.gz/);
});

test('idx:DIR errors: a missing role, two candidates, not a directory', () => {
  const d = idxDir();
  copyFileSync(join(d, 'imgs.t10k'), join(d, 'other-test-images'));
  oneLine(() => loadUserData(`idx:${d}`), /more than one test images file in .*: imgs\.t10k, other-test-images; keep one/);
  const e = idxDir();
  copyFileSync(join(e, 'test_y.bin.gz'), join(e, 'labels.gz'));
  writeFileSync(join(e, 'test_y.bin.gz'), 'x');
  oneLine(() => loadUserData(`idx:${e}`), /no test labels in .*name contains 'test' or 't10k'; IDX files whose names say neither train nor test: labels\.gz \(labels\)/);
  oneLine(() => loadUserData(`idx:${join(e, 'imgs.t10k')}`), /is not a directory/);
  oneLine(() => loadUserData(`idx:${join(e, 'nope')}`), /cannot read the directory .*nope \(ENOENT\)/);
});

const CSV = ['x1,x2,kind', ...Array.from({ length: 60 }, (_, i) => `${(i % 3) * 10 + (i % 7) / 7},${i % 5},${['cat', 'dog', 'emu'][i % 3]}`)].join('\n') + '\n';

test('csv:FILE with a named label column: string classes, a fixed stratified test split, standardized features', () => {
  const d = tmp();
  const f = join(d, 'data.csv');
  writeFileSync(f, CSV.replace(/^x1,x2,kind/, 'kind2,x1,x2').split('\n').map((l, i) => { if (i === 0 || l === '') return l; const c = l.split(','); return `${c[2]},${c[0]},${c[1]}`; }).join('\n'));
  const a = loadDataset(`csv:${f}?label=kind2`, { seed: 1 });
  const b = loadDataset(`csv:${f}?label=kind2`, { seed: 2 });
  assert.deepEqual(a.classNames, ['cat', 'dog', 'emu']);
  assert.deepEqual(a.shape, [1, 1, 2]);
  assert.equal(a.test.count, 12);
  assert.deepEqual([...a.test.labels].sort(), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.deepEqual(a.test.images, b.test.images, 'the test split does not depend on the seed');
  const all = [...a.train.images, ...a.validation.images];
  const mean0 = all.filter((_, i) => i % 2 === 0).reduce((s, v) => s + v, 0) / (all.length / 2);
  assert.ok(Math.abs(mean0) < 1e-5, `standardized feature mean ${mean0}`);
  const raw = loadDataset(`csv:${f}?label=kind2&scale=none&test=0.5`, { seed: 1 });
  assert.equal(raw.test.count, 30);
  assert.ok(raw.test.images.every((v) => v >= 0 && v < 30));
});

test('csv:FILE without a header: the last column holds integer labels', () => {
  const d = tmp();
  const f = join(d, 'nohead.csv');
  writeFileSync(f, Array.from({ length: 30 }, (_, i) => `${i},${-i},${i % 2}`).join('\r\n'));
  const u = loadUserData(`csv:${f}`);
  assert.deepEqual(u.classNames, ['0', '1']);
  assert.equal(u.train.count + u.test.count, 30);
  oneLine(() => loadUserData(`csv:${f}?label=y`), /no header line/);
});

test('csv:FILE errors name the file, line and column', () => {
  const d = tmp();
  const f = join(d, 'bad.csv');
  writeFileSync(f, 'a,b,y\n1,2,0\n1,oops,1\n3,4,0\n');
  oneLine(() => loadUserData(`csv:${f}`), /bad\.csv: line 3, column 2 \(b\): 'oops' is not a number/);
  writeFileSync(f, 'a,b,y\n1,2,0\n1,1\n3,4,0\n');
  oneLine(() => loadUserData(`csv:${f}`), /bad\.csv: line 3 has 2 columns, expected 3/);
  writeFileSync(f, 'a,b,y\n1,2,0\n1,1,0\n3,4,0\n');
  oneLine(() => loadUserData(`csv:${f}`), /only one class/);
  writeFileSync(f, '');
  oneLine(() => loadUserData(`csv:${f}`), /bad\.csv: empty CSV file/);
  oneLine(() => loadUserData(`csv:${f}?lable=y`), /unknown option 'lable'/);
  oneLine(() => loadUserData(`csv:${f}?test=1`), /test=1: expected a fraction/);
  oneLine(() => loadUserData(`csv:${join(d, 'missing.csv')}`), /missing\.csv: cannot read \(no such file, ENOENT\)/);
  oneLine(() => loadDataset(`csv:${f}`, { dataDir: d }), /--data-dir .* does not apply to --dataset csv:/);
});

test('npy:X,y: float features [N, F] and int64 labels; uint8 images [N, H, W] scaled by 1/255; four files', () => {
  const d = tmp();
  const n = 40;
  const x = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i));
  const y = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 4));
  writeFileSync(join(d, 'x.npy'), npyBytes('<f4', [n, 3], x));
  writeFileSync(join(d, 'y.npy'), npyBytes('<i8', [n], y));
  const u = loadUserData(`npy:${join(d, 'x.npy')},${join(d, 'y.npy')}?scale=none`);
  assert.deepEqual(u.shape, [1, 1, 3]);
  assert.deepEqual(u.classNames, ['0', '1', '2', '3']);
  assert.equal(u.test.count, 8);
  const img = Uint8Array.from({ length: n * 4 * 5 }, (_, i) => i % 256);
  writeFileSync(join(d, 'img.npy'), npyBytes('|u1', [n, 4, 5], img, { version: 2 }));
  writeFileSync(join(d, 'lab.npy'), npyBytes('<i4', [n], Int32Array.from({ length: n }, (_, i) => i % 2)));
  const four = loadDataset(`npy:${join(d, 'img.npy')},${join(d, 'lab.npy')},${join(d, 'img.npy')},${join(d, 'lab.npy')}`, { seed: 0, validationSize: 5 });
  assert.deepEqual(four.shape, [1, 4, 5]);
  assert.equal(four.test.count, n);
  assert.equal(four.test.images[21], Math.fround(21 / 255));
});

test('npy errors: Fortran order, big-endian, truncated, wrong label count, float labels', () => {
  const d = tmp();
  const x = new Float32Array(12);
  oneLine(() => parseNpy(npyBytes('<f4', [4, 3], x, { fortran: true }), 'f.npy'), /f\.npy: Fortran-order arrays are not supported/);
  oneLine(() => parseNpy(npyBytes('>f4', [4, 3], x), 'b.npy'), /b\.npy: big-endian dtype '>f4' is not supported/);
  oneLine(() => parseNpy(npyBytes('<f4', [4, 3], x).subarray(0, 100), 't.npy'), /t\.npy: truncated/);
  oneLine(() => parseNpy(npyBytes('<c8', [4, 3], x), 'c.npy'), /unsupported dtype '<c8'/);
  oneLine(() => parseNpy(new Uint8Array(20), 'z.npy'), /z\.npy: not a \.npy file/);
  writeFileSync(join(d, 'x.npy'), npyBytes('<f4', [4, 3], x));
  writeFileSync(join(d, 'y.npy'), npyBytes('<i4', [3], new Int32Array(3)));
  writeFileSync(join(d, 'yf.npy'), npyBytes('<f4', [4], new Float32Array(4)));
  oneLine(() => loadUserData(`npy:${join(d, 'x.npy')},${join(d, 'y.npy')}`), /y\.npy: 3 labels for the 4 examples of .*x\.npy/);
  oneLine(() => loadUserData(`npy:${join(d, 'x.npy')},${join(d, 'yf.npy')}`), /yf\.npy: labels of dtype f4: expected integer class indices/);
  oneLine(() => loadUserData(`npy:${join(d, 'x.npy')}`), /expected npy:X\.npy,y\.npy or .*found 1 file names/);
});

test('a user dataset is cached until its file changes', () => {
  clearDatasetCache();
  const d = tmp();
  const f = join(d, 'c.csv');
  writeFileSync(f, Array.from({ length: 30 }, (_, i) => `${i},${i % 2}`).join('\n'));
  const a = loadDataset(`csv:${f}`, { seed: 0 });
  assert.equal(loadDataset(`csv:${f}`, { seed: 0 }), a);
  writeFileSync(f, Array.from({ length: 40 }, (_, i) => `${i},${i % 2}`).join('\n'));
  assert.equal(loadDataset(`csv:${f}`, { seed: 0 }).train.count + loadDataset(`csv:${f}`, { seed: 0 }).validation.count, 32);
});
