// Fuzz: the user-data readers (CSV text, .npy files) on mutated valid inputs: every case is read or
// refused with a one-line UserError, quickly and within memory (harness.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, mutatedBytes, RUNS } from './harness.js';
import { npyFeatures, npyLabels, parseCsvData, parseNpy } from '../../src/data/user.js';
import { npyBytes } from '../data/npy-writer.js';

const csvSeeds = [
  'a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n0.5,-1e3,x\n',
  '1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,2\n',
  '"f1","f2","c"\n1.5,2,cat\n-3,4e-2,dog\n5,6,cat\n7,.8,dog\n',
].map((s) => new TextEncoder().encode(s));

test(`CSV: ${RUNS / 5} mutated files are read or refused with a UserError`, { timeout: 120_000 }, () => {
  const dec = new TextDecoder();
  const stats = fuzz(mutatedBytes(csvSeeds), (b) => {
    parseCsvData(dec.decode(b), 'fuzz.csv', 'csv:fuzz.csv', { fraction: 0.25, scale: 'standard' });
    parseCsvData(dec.decode(b), 'fuzz.csv', 'csv:fuzz.csv', { label: 'label', fraction: 0.5, scale: 'minmax' });
  }, RUNS / 5);
  assert.equal(stats.cases, RUNS / 5);
  console.log(`CSV: ${JSON.stringify(stats)}`);
});

const npySeeds = [
  npyBytes('<f4', [4, 3], Float32Array.from({ length: 12 }, (_, i) => i / 3)),
  npyBytes('|u1', [3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20), { version: 2 }),
  npyBytes('<i8', [4], BigInt64Array.from([0n, 1n, 2n, 1n])),
  npyBytes('<f8', [2, 1, 2, 2], Float64Array.from({ length: 8 }, (_, i) => -i)),
];

test(`npy: ${RUNS / 5} mutated files are read or refused with a UserError`, { timeout: 120_000 }, () => {
  const stats = fuzz(mutatedBytes(npySeeds), (b) => {
    const a = parseNpy(b, 'fuzz.npy', 1 << 20);
    if (a.shape.length === 1) npyLabels(a, 'fuzz.npy', a.shape[0]!, 'x.npy');
    else npyFeatures(a, 'fuzz.npy');
  }, RUNS / 5);
  assert.equal(stats.cases, RUNS / 5);
  console.log(`npy: ${JSON.stringify(stats)}`);
});
