// Batch iterator: every sample once per epoch, deterministic by seed, epochs differ, resumable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchIterator } from '../../src/data/batches.js';

function epoch(it: BatchIterator): Int32Array[] {
  return [...it.restOfEpoch()].map((b) => Int32Array.from(b));
}

test('every sample exactly once per epoch (keep last partial batch)', () => {
  const it = new BatchIterator({ count: 103, batchSize: 10, seed: 7, dropLast: false });
  assert.equal(it.batchesPerEpoch, 11);
  for (let e = 0; e < 3; e++) {
    const batches = epoch(it);
    assert.equal(batches.length, 11);
    assert.equal(batches[10]!.length, 3);
    const seen = new Uint8Array(103);
    for (const b of batches) for (const i of b) seen[i]!++;
    assert.ok(seen.every((c) => c === 1), `epoch ${e}: each sample once`);
  }
  assert.equal(it.epoch, 3);
});

test('drop last (the default) gives full batches only, each sample at most once', () => {
  const it = new BatchIterator({ count: 103, batchSize: 10, seed: 7 });
  assert.equal(it.batchesPerEpoch, 10);
  const batches = epoch(it);
  assert.ok(batches.every((b) => b.length === 10));
  assert.equal(new Set(batches.flatMap((b) => [...b])).size, 100);
});

test('deterministic by seed; epochs and seeds differ', () => {
  const a = new BatchIterator({ count: 500, batchSize: 50, seed: 1 });
  const b = new BatchIterator({ count: 500, batchSize: 50, seed: 1 });
  const c = new BatchIterator({ count: 500, batchSize: 50, seed: 2 });
  const a0 = epoch(a), b0 = epoch(b), c0 = epoch(c);
  assert.deepEqual(a0, b0);
  assert.notDeepEqual(a0, c0);
  assert.notDeepEqual(epoch(a), a0, 'epoch 1 is shuffled differently from epoch 0');
});

test('resume from a serialized state continues identically', () => {
  const ref = new BatchIterator({ count: 257, batchSize: 32, seed: 9, dropLast: false });
  const all: Int32Array[] = [];
  for (let i = 0; i < 30; i++) all.push(Int32Array.from(ref.next()));
  const run = new BatchIterator({ count: 257, batchSize: 32, seed: 9, dropLast: false });
  for (let i = 0; i < 13; i++) run.next();
  const saved = JSON.parse(JSON.stringify(run.state()));
  assert.deepEqual({ epoch: saved.epoch, batch: saved.batch }, { epoch: 1, batch: 4 });
  const resumed = new BatchIterator({ count: 257, batchSize: 32, seed: 9, dropLast: false }, saved);
  for (let i = 13; i < 30; i++) assert.deepEqual(Int32Array.from(resumed.next()), all[i], `batch ${i}`);
  assert.throws(() => new BatchIterator({ count: 257, batchSize: 64, seed: 9, dropLast: false }, saved), /batchSize/);
});

test('no shuffle: samples in order, for evaluation', () => {
  const it = new BatchIterator({ count: 7, batchSize: 3, seed: 0, shuffle: false, dropLast: false });
  assert.deepEqual(epoch(it).map((b) => [...b]), [[0, 1, 2], [3, 4, 5], [6]]);
});

test('rejects impossible settings', () => {
  assert.throws(() => new BatchIterator({ count: 5, batchSize: 10, seed: 0 }), /no batches/);
  assert.throws(() => new BatchIterator({ count: 0, batchSize: 1, seed: 0 }), /count/);
  assert.throws(() => new BatchIterator({ count: 5, batchSize: 0, seed: 0 }), /batchSize/);
});
