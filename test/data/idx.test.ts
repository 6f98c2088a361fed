// IDX reader: round trips (gzipped and raw) on files written to a temp dir, and every error case,
// each asserting that the message names the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, readIdx } from '../../src/data/idx.js';
import { readIdxDataset } from '../../src/data/idx-dataset.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-idx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function images(n: number, rows = 4, cols = 3): Uint8Array {
  const d = new Uint8Array(n * rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + 11) & 255;
  return d;
}

/** Asserts a UserError whose message contains the file's name and each of `parts`. */
function throwsNaming(fn: () => unknown, file: string, ...parts: Array<string | RegExp>): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(err.message.includes(file), `message should name ${file}: ${err.message}`);
    for (const p of parts) {
      if (typeof p === 'string') assert.ok(err.message.includes(p), `message should contain '${p}': ${err.message}`);
      else assert.match(err.message, p);
    }
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('round trip: raw and gzipped images and labels', () => {
  const img = images(5);
  const lab = Uint8Array.from([0, 9, 3, 3, 1]);
  for (const gzip of [false, true]) {
    const ip = write(`img-${gzip}`, encodeIdx([5, 4, 3], img, { gzip }));
    const lp = write(`lab-${gzip}`, encodeIdx([5], lab, { gzip }));
    const ri = readIdx(ip, 'images');
    assert.deepEqual(ri.dims, [5, 4, 3]);
    assert.deepEqual(ri.data, img);
    const rl = readIdx(lp, 'labels', { maxLabel: 10 });
    assert.deepEqual(rl.dims, [5]);
    assert.deepEqual(rl.data, lab);
  }
});

test('gzip is detected by magic, not by file name', () => {
  const p = write('plain-name-but-gzipped', encodeIdx([2], Uint8Array.from([1, 2]), { gzip: true }));
  assert.deepEqual(readIdx(p, 'labels').data, Uint8Array.from([1, 2]));
  const q = write('raw.gz', encodeIdx([2], Uint8Array.from([3, 4])));
  assert.deepEqual(readIdx(q, 'labels').data, Uint8Array.from([3, 4]));
});

test('empty arrays are valid', () => {
  const p = write('empty-images', encodeIdx([0, 28, 28], new Uint8Array(0)));
  assert.deepEqual(readIdx(p, 'images').dims, [0, 28, 28]);
});

test('truncated data', () => {
  const full = encodeIdx([5, 4, 3], images(5));
  const p = write('train-images-idx3-ubyte', full.subarray(0, full.length - 7));
  throwsNaming(() => readIdx(p, 'images'), 'train-images-idx3-ubyte', 'truncated', '5×4×3 = 60 bytes', 'found 53');
  const gz = write('trunc-images.gz', gzipSync(full.subarray(0, 30)));
  throwsNaming(() => readIdx(gz, 'images'), 'trunc-images.gz', 'truncated', 'found 14');
});

test('truncated header', () => {
  const p = write('short-header', encodeIdx([5, 4, 3], images(5)).subarray(0, 10));
  throwsNaming(() => readIdx(p, 'images'), 'short-header', 'truncated header', 'expected 16 bytes', 'found 10');
  const q = write('tiny', Uint8Array.from([0, 0]));
  throwsNaming(() => readIdx(q, 'labels'), 'tiny', 'found only 2 bytes');
});

test('trailing bytes', () => {
  const full = encodeIdx([3], Uint8Array.from([1, 2, 3]));
  const p = write('trailing-labels', Uint8Array.from([...full, 0, 0]));
  throwsNaming(() => readIdx(p, 'labels'), 'trailing-labels', 'trailing bytes', 'header says 3 = 3 bytes', 'found 5');
});

test('wrong magic: not IDX at all, and wrong element type', () => {
  const p = write('not-idx.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
  throwsNaming(() => readIdx(p, 'images'), 'not-idx.png', 'expected magic number 0x00000803', 'found 0x89504e47');
  const f = encodeIdx([2], Uint8Array.from([1, 2]));
  f[2] = 0x0d; // float32 elements
  const q = write('float-labels', f);
  throwsNaming(() => readIdx(q, 'labels'), 'float-labels', 'expected 0x00000801', 'found 0x00000d01', 'float32');
});

test('wrong dimension count: labels file passed as images and vice versa', () => {
  const lp = write('train-labels-idx1-ubyte', encodeIdx([3], Uint8Array.from([1, 2, 3])));
  throwsNaming(() => readIdx(lp, 'images'), 'train-labels-idx1-ubyte', 'wrong dimension count', 'expected 3', 'found 1');
  const ip = write('imgs', encodeIdx([1, 2, 2], new Uint8Array(4)));
  throwsNaming(() => readIdx(ip, 'labels'), 'imgs', 'expected 1', 'found 3');
});

test('label values out of range', () => {
  const p = write('bad-labels', encodeIdx([4], Uint8Array.from([0, 9, 10, 2])));
  throwsNaming(() => readIdx(p, 'labels', { maxLabel: 10 }), 'bad-labels', 'label 10 at index 2', 'expected values < 10');
  assert.equal(readIdx(p, 'labels').data.length, 4, 'no range check unless asked');
});

test('corrupt gzip', () => {
  const gz = gzipSync(encodeIdx([5, 4, 3], images(5)));
  const bad = Uint8Array.from(gz);
  for (let i = 20; i < 40; i++) bad[i] ^= 0x5a;
  const p = write('corrupt-images.gz', bad);
  throwsNaming(() => readIdx(p, 'images'), 'corrupt-images.gz', 'corrupt gzip');
  const q = write('cut.gz', gz.subarray(0, gz.length - 10));
  throwsNaming(() => readIdx(q, 'images'), 'cut.gz', 'corrupt gzip');
});

test('missing file', () => {
  throwsNaming(() => readIdx(join(dir, 'nope'), 'images'), 'nope', 'ENOENT');
});

test('image/label count mismatch and train/test size mismatch in a four-file set', () => {
  const d = mkdtempSync(join(dir, 'set-'));
  const w = (n: string, b: Uint8Array): string => { const p = join(d, n); writeFileSync(p, b); return p; };
  const files = {
    trainImages: w('train-images-idx3-ubyte', encodeIdx([5, 4, 3], images(5))),
    trainLabels: w('train-labels-idx1-ubyte', encodeIdx([4], new Uint8Array(4))),
    testImages: w('t10k-images-idx3-ubyte', encodeIdx([2, 4, 3], images(2))),
    testLabels: w('t10k-labels-idx1-ubyte', encodeIdx([2], new Uint8Array(2))),
  };
  throwsNaming(() => readIdxDataset(files, 10), 'train-labels-idx1-ubyte', 'count mismatch', 'expected 5 labels', 'found 4');
  w('train-labels-idx1-ubyte', encodeIdx([5], new Uint8Array(5)));
  w('t10k-images-idx3-ubyte', encodeIdx([2, 3, 4], images(2)));
  throwsNaming(() => readIdxDataset(files, 10), 't10k-images-idx3-ubyte', 'image size mismatch', 'expected 4×3', 'found 3×4');
  w('t10k-images-idx3-ubyte', encodeIdx([2, 4, 3], images(2)));
  const raw = readIdxDataset(files, 10);
  assert.equal(raw.train.count, 5);
  assert.equal(raw.test.count, 2);
  assert.deepEqual(raw.shape, [1, 4, 3]);
});
