// Fuzz: IDX files, plain and gzipped, through the reader (maybeGunzip + parseIdx) and the dataset
// checks (readIdxDataset's pair/shape/degenerate rules). Gzipped cases mutate either the compressed
// bytes or the IDX bytes before compression (so headers that lie about sizes are reached).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { fuzz, mutatedBytes, RUNS } from './harness.js';
import { encodeIdx, maybeGunzip, parseIdx } from '../../src/data/idx.js';
import { readIdxDataset } from '../../src/data/idx-dataset.js';

const imgs = (n: number, r: number, c: number) => encodeIdx([n, r, c], Uint8Array.from({ length: n * r * c }, (_, i) => (i * 37) & 255));
const labs = (n: number, k = 10) => encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % k));
const plain = [imgs(3, 4, 4), imgs(2, 28, 28), imgs(0, 5, 5), labs(5), labs(1), labs(0)];
const gz = plain.map((b) => new Uint8Array(gzipSync(b)));

function read(bytes: Uint8Array): void {
  for (const kind of ['images', 'labels'] as const) {
    try { parseIdx(maybeGunzip(bytes, 'fuzz'), 'fuzz', kind, { maxLabel: 10 }); } catch (e) { if (kind === 'labels') throw e; }
  }
}

test(`IDX (plain): ${RUNS} mutated files parse or fail with a UserError`, { timeout: 120_000 }, () => {
  const stats = fuzz(mutatedBytes(plain), read);
  assert.equal(stats.cases, RUNS);
  console.log(`IDX plain: ${JSON.stringify(stats)}`);
});

test(`IDX (gzip): ${RUNS} mutated files parse or fail with a UserError, decompression capped`, { timeout: 120_000 }, () => {
  const arb = fc.oneof(mutatedBytes(gz), mutatedBytes(plain).map((b) => new Uint8Array(gzipSync(b, { level: 1 }))));
  const stats = fuzz(arb, read);
  assert.equal(stats.cases, RUNS);
  console.log(`IDX gzip: ${JSON.stringify(stats)}`);
});

test(`IDX datasets: ${RUNS / 10} mutated four-file sets are read or refused with a UserError`, { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-fuzz-idx-'));
  const set = [imgs(6, 4, 4), labs(6), imgs(3, 4, 4), labs(3)];
  const names = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
  const arb = fc.tuple(fc.nat({ max: 3 }), mutatedBytes(set), fc.boolean());
  const stats = fuzz(arb, ([role, bytes, zip]) => {
    const files = Object.fromEntries(names.map((n, i) => {
      const p = join(dir, `${n}${zip ? '.gz' : ''}`);
      const b = i === role ? bytes : set[i]!;
      writeFileSync(p, zip ? gzipSync(b, { level: 1 }) : b);
      return [n, p];
    })) as Record<(typeof names)[number], string>;
    readIdxDataset(files, 10);
  }, RUNS / 10);
  console.log(`IDX datasets: ${JSON.stringify(stats)}`);
});
