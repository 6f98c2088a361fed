// Dataset registry: loading from generated IDX folders, the search path, split sizes and determinism,
// the embedded mini set, synthetic tasks, and (when Debian's package is installed) the full set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { features, type Dataset } from '../../src/data/dataset.js';
import { encodeIdx } from '../../src/data/idx.js';
import { DEBIAN_FASHION_MNIST_DIR, clearDatasetCache, loadDataset } from '../../src/data/registry.js';
import { classCounts, stratifiedQuotas } from '../../src/data/split.js';
import { UserError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'winnow-reg-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// Searches must not wander into the real user cache or $WINNOW_DATA of whoever runs the tests.
const savedEnv = { XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'], WINNOW_DATA: process.env['WINNOW_DATA'] };
process.env['XDG_CACHE_HOME'] = join(root, 'cache');
delete process.env['WINNOW_DATA'];
test.after(() => {
  for (const [k, v] of Object.entries(savedEnv)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
});

/**
 * A tiny MNIST-shaped set: image i's first pixel is i % 256 and second is i >> 8 (so rows can be
 * identified after shuffling), the rest a fixed pattern; label i % 10.
 */
function writeSet(dir: string, nTrain: number, nTest: number, opts: { gzip?: boolean; rows?: number } = {}): void {
  mkdirSync(dir, { recursive: true });
  const r = opts.rows ?? 4;
  const f = r * r;
  const mk = (n: number, prefix: string): void => {
    const px = new Uint8Array(n * f), lab = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      px[i * f] = i & 255; px[i * f + 1] = i >> 8;
      for (let j = 2; j < f; j++) px[i * f + j] = (j * 51) & 255;
      lab[i] = i % 10;
    }
    const gz = opts.gzip ?? false;
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${gz ? '.gz' : ''}`), encodeIdx([n, r, r], px, { gzip: gz }));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${gz ? '.gz' : ''}`), encodeIdx([n], lab, { gzip: gz }));
  };
  mk(nTrain, 'train');
  mk(nTest, 't10k');
}

function rowIds(d: Dataset, split: 'train' | 'validation' | 'test'): number[] {
  const f = features(d), s = d[split];
  return Array.from({ length: s.count }, (_, i) => Math.round(s.images[i * f]! * 255) + 256 * Math.round(s.images[i * f + 1]! * 255));
}

function assertUserError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    for (const p of parts) assert.ok(err.message.includes(p), `'${p}' not in: ${err.message}`);
    return true;
  });
}

test('loads a generated set from --data-dir/<name>/: floats in [0,1], counts, carved validation', () => {
  const dataDir = join(root, 'dd');
  writeSet(join(dataDir, 'mnist'), 600, 100, { gzip: true });
  const d = loadDataset('mnist', { dataDir, seed: 3, validationSize: 100 });
  assert.equal(d.name, 'mnist');
  assert.deepEqual(d.shape, [1, 4, 4]);
  assert.equal(d.classes, 10);
  assert.equal(d.source, join(dataDir, 'mnist'));
  assert.deepEqual([d.train.count, d.validation.count, d.test.count], [500, 100, 100]);
  assert.equal(d.train.images.length, 500 * 16);
  // Pixel j=5 is 255 → exactly 1; j=2 is 102 → 102/255 rounded to float32.
  assert.equal(d.test.images[5], 1);
  assert.equal(d.test.images[2], Math.fround(102 / 255));
  assert.ok(d.train.images.every((v) => v >= 0 && v <= 1));
  // Train and validation partition the original 600 rows, and keep file order.
  const tr = rowIds(d, 'train'), va = rowIds(d, 'validation');
  assert.deepEqual([...tr, ...va].sort((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
  assert.deepEqual(tr, [...tr].sort((a, b) => a - b));
  for (let i = 0; i < d.train.count; i++) assert.equal(d.train.labels[i], tr[i]! % 10);
  assert.deepEqual(rowIds(d, 'test'), Array.from({ length: 100 }, (_, i) => i));
});

test('split is deterministic by seed, differs across seeds; validationSize 0 keeps train as stored', () => {
  const dataDir = join(root, 'dd2');
  writeSet(join(dataDir, 'mnist'), 300, 10);
  const a = loadDataset('mnist', { dataDir, seed: 1, validationSize: 50 });
  clearDatasetCache();
  const b = loadDataset('mnist', { dataDir, seed: 1, validationSize: 50 });
  assert.notEqual(a, b, 'rebuilt after clearing the cache');
  assert.deepEqual(rowIds(a, 'validation'), rowIds(b, 'validation'));
  assert.deepEqual(a.train.images, b.train.images);
  const c = loadDataset('mnist', { dataDir, seed: 2, validationSize: 50 });
  assert.notDeepEqual(rowIds(a, 'validation'), rowIds(c, 'validation'));
  const z = loadDataset('mnist', { dataDir, validationSize: 0 });
  assert.equal(z.validation.count, 0);
  assert.deepEqual(rowIds(z, 'train'), Array.from({ length: 300 }, (_, i) => i));
  assert.equal(loadDataset('mnist', { dataDir, validationSize: 0 }), z, 'cached per process');
  assertUserError(() => loadDataset('mnist', { dataDir, validationSize: 300 }), 'leaves no training data');
  assertUserError(() => loadDataset('mnist', { dataDir, validationSize: -1 }), 'validation size');
  assertUserError(() => loadDataset('mnist', { dataDir }), 'validation size 5000', '300 examples');
});

test('--data-dir may be the dataset folder itself; $WINNOW_DATA and the user cache are searched', () => {
  const flat = join(root, 'flat');
  writeSet(flat, 20, 5);
  assert.equal(loadDataset('mnist', { dataDir: flat, validationSize: 2 }).source, flat);
  const env = join(root, 'envdata');
  writeSet(join(env, 'mnist'), 30, 5);
  process.env['WINNOW_DATA'] = env;
  try {
    assert.equal(loadDataset('mnist', { validationSize: 2 }).source, join(env, 'mnist'));
  } finally {
    delete process.env['WINNOW_DATA'];
  }
  writeSet(join(root, 'cache', 'winnow', 'mnist'), 40, 5);
  assert.equal(loadDataset('mnist', { validationSize: 2 }).train.count, 38);
  rmSync(join(root, 'cache', 'winnow', 'mnist'), { recursive: true });
});

test('missing dataset: one UserError listing where it looked and how to get it', () => {
  const dataDir = join(root, 'empty');
  mkdirSync(join(dataDir, 'mnist'), { recursive: true });
  writeFileSync(join(dataDir, 'mnist', 'train-images-idx3-ubyte.gz'), new Uint8Array(0));
  // An explicit --data-dir is the only place searched: used or refused, never replaced by another copy.
  assertUserError(() => loadDataset('mnist', { dataDir }),
    'mnist: --data-dir', join(dataDir, 'mnist'), 'only 1 of 4 files', 'missing train-labels-idx1-ubyte[.gz]',
    'never replaced', 'winnow data fetch mnist', 'fashion-mnist-mini');
  assert.equal(String((() => { try { loadDataset('mnist', { dataDir }); } catch (e) { return (e as Error).message; } return ''; })()).includes(join(root, 'cache')), false);
  // Without one, every place is listed.
  assertUserError(() => loadDataset('mnist'), 'mnist: dataset not found', join(root, 'cache', 'winnow', 'mnist'), 'winnow data fetch mnist');
  assertUserError(() => loadDataset('cifar10'), "unknown dataset 'cifar10'", 'fashion-mnist-mini');
});

test('a corrupt file surfaces as the IDX reader\'s UserError', () => {
  const dataDir = join(root, 'corrupt');
  writeSet(join(dataDir, 'mnist'), 20, 5);
  writeFileSync(join(dataDir, 'mnist', 't10k-labels-idx1-ubyte'), encodeIdx([4], new Uint8Array(4)));
  assertUserError(() => loadDataset('mnist', { dataDir, validationSize: 2 }), 't10k-labels-idx1-ubyte', 'count mismatch');
});

test('embedded fashion-mnist-mini: counts, balanced classes, stratified validation', () => {
  const d = loadDataset('fashion-mnist-mini', { seed: 0 });
  assert.equal(d.source.startsWith('embedded:'), true);
  assert.deepEqual(d.shape, [1, 28, 28]);
  assert.equal(d.classNames?.[9], 'Ankle boot');
  assert.deepEqual([d.train.count, d.validation.count, d.test.count], [10000, 2000, 2000]);
  assert.deepEqual(classCounts(d.train.labels, 10), new Array(10).fill(1000));
  assert.deepEqual(classCounts(d.validation.labels, 10), new Array(10).fill(200));
  assert.deepEqual(classCounts(d.test.labels, 10), new Array(10).fill(200));
  let max = 0;
  for (const v of d.test.images) if (v > max) max = v;
  assert.equal(max, 1);
  const other = loadDataset('fashion-mnist-mini', { seed: 1 });
  assert.notDeepEqual(other.validation.images.subarray(0, 7840), d.validation.images.subarray(0, 7840), 'the run seed picks the split');
});

test('stratified quotas sum to the total and follow class sizes', () => {
  assert.deepEqual(stratifiedQuotas([100, 100, 100], 30), [10, 10, 10]);
  assert.deepEqual(stratifiedQuotas([50, 30, 20], 7), [4, 2, 1]);
  assert.deepEqual(stratifiedQuotas([1, 1, 1], 2), [1, 1, 0]);
});

test('synthetic:blobs: deterministic from the spec, shaped by its parameters', () => {
  const spec = 'synthetic:blobs?features=20&classes=3&train=300&test=60';
  const a = loadDataset(spec, { seed: 4 });
  clearDatasetCache();
  const b = loadDataset(spec, { seed: 4 });
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.labels, b.test.labels);
  assert.equal(a.name, 'synthetic:blobs?features=20&classes=3&noise=0.1&train=300&test=60&seed=1');
  assert.deepEqual(a.shape, [1, 1, 20]);
  assert.deepEqual([a.train.count, a.validation.count, a.test.count], [250, 50, 60]);
  assert.deepEqual(classCounts(a.test.labels, 3), [20, 20, 20]);
  assert.ok(a.train.images.every((v) => v >= 0 && v <= 1));
  // The run seed changes the split, not the task; the spec's seed changes the task.
  const c = loadDataset(spec, { seed: 5 });
  assert.deepEqual(c.test.images, a.test.images);
  assert.notDeepEqual(c.validation.images, a.validation.images);
  const d = loadDataset(spec + '&seed=2', { seed: 4 });
  assert.notDeepEqual(d.test.images, a.test.images);
  // Learnable: nearest class mean (from train) classifies the test set almost perfectly.
  const f = 20, means = new Float64Array(3 * f), n = [0, 0, 0];
  for (let i = 0; i < a.train.count; i++) { const k = a.train.labels[i]!; n[k]!++; for (let j = 0; j < f; j++) means[k * f + j]! += a.train.images[i * f + j]!; }
  for (let k = 0; k < 3; k++) for (let j = 0; j < f; j++) means[k * f + j]! /= n[k]!;
  let correct = 0;
  for (let i = 0; i < a.test.count; i++) {
    let best = -1, bestD = Infinity;
    for (let k = 0; k < 3; k++) {
      let dd = 0;
      for (let j = 0; j < f; j++) dd += (a.test.images[i * f + j]! - means[k * f + j]!) ** 2;
      if (dd < bestD) { bestD = dd; best = k; }
    }
    if (best === a.test.labels[i]) correct++;
  }
  assert.ok(correct / a.test.count > 0.9, `nearest mean accuracy ${correct / a.test.count}`);
});

test('synthetic:images: each image holds one bar whose orientation is its label', () => {
  const d = loadDataset('synthetic:images?train=400&test=100', { seed: 0, validationSize: 0 });
  assert.deepEqual(d.shape, [1, 8, 8]);
  assert.deepEqual(d.classNames, ['horizontal', 'vertical', 'diagonal', 'anti-diagonal']);
  const again = loadDataset('synthetic:images?train=400&test=100', { seed: 0, validationSize: 0 });
  assert.equal(again, d);
  for (let i = 0; i < d.train.count; i++) {
    const px: Array<[number, number]> = [];
    for (let p = 0; p < 64; p++) if (d.train.images[i * 64 + p]! >= 0.5) px.push([p >> 3, p & 7]);
    assert.ok(px.length >= 4 && px.length <= 8, `image ${i}: ${px.length} bar pixels`);
    const same = (fn: (rc: [number, number]) => number): boolean => px.every((q) => fn(q) === fn(px[0]!));
    const orient = same(([r]) => r) ? 0 : same(([, c]) => c) ? 1 : same(([r, c]) => r - c) ? 2 : same(([r, c]) => r + c) ? 3 : -1;
    assert.equal(orient, d.train.labels[i], `image ${i}`);
  }
  assertUserError(() => loadDataset('synthetic:images?classes=5'), 'classes', '[2, 4]');
  assertUserError(() => loadDataset('synthetic:blobs?features=abc'), 'features');
  assertUserError(() => loadDataset('synthetic:spirals'), "unknown synthetic task 'synthetic:spirals'");
});

const haveDebian = existsSync(join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
test('full Fashion-MNIST from Debian\'s package: 55,000 / 5,000 / 10,000, loaded fast',
  { skip: haveDebian ? false : `${DEBIAN_FASHION_MNIST_DIR} absent (apt-get install dataset-fashion-mnist)` }, () => {
    const t0 = performance.now();
    const d = loadDataset('fashion-mnist', { dataDir: DEBIAN_FASHION_MNIST_DIR, seed: 0 });
    const ms = performance.now() - t0;
    assert.deepEqual([d.train.count, d.validation.count, d.test.count], [55000, 5000, 10000]);
    assert.deepEqual(classCounts(d.test.labels, 10), new Array(10).fill(1000));
    const all = classCounts(d.train.labels, 10).map((c, k) => c + classCounts(d.validation.labels, 10)[k]!);
    assert.deepEqual(all, new Array(10).fill(6000));
    assert.ok(ms < 5000, `load took ${ms.toFixed(0)} ms`);
    clearDatasetCache();
  });
