import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleSplit, parseDownsample } from '../../src/data/downsample.js';
import { loadDataset } from '../../src/data/registry.js';
import { UserError } from '../../src/util/errors.js';

test('parseDownsample reads the @HxW suffix only', () => {
  assert.deepEqual(parseDownsample('fashion-mnist-mini@7x7'), { base: 'fashion-mnist-mini', h: 7, w: 7 });
  assert.deepEqual(parseDownsample('synthetic:images?size=8@4x2'), { base: 'synthetic:images?size=8', h: 4, w: 2 });
  assert.equal(parseDownsample('fashion-mnist'), null);
  assert.equal(parseDownsample('x@0x7'), null);
});

test('block averages by hand: 2 channels 4×4 → 2×2', () => {
  const img = new Float32Array(2 * 16);
  for (let i = 0; i < 32; i++) img[i] = i / 32;
  const out = downsampleSplit({ images: img, labels: new Int32Array([3]), count: 1 }, [2, 4, 4], 2, 2);
  // channel 0, top-left block: pixels 0,1,4,5
  const want = (ch: number, y: number, x: number) => {
    let s = 0;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) s += img[ch * 16 + (2 * y + dy) * 4 + 2 * x + dx]!;
    return s / 4;
  };
  for (let ch = 0; ch < 2; ch++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) {
    assert.ok(Math.abs(out.images[ch * 4 + y * 2 + x]! - want(ch, y, x)) < 1e-6);
  }
  assert.equal(out.images[0], Math.fround((0 + 1 + 4 + 5) / 4 / 32));
  assert.deepEqual([...out.labels], [3]);
});

test('registry: "@HxW" keeps the splits and labels and averages the pixels', () => {
  const base = loadDataset('synthetic:images?size=8&train=60&test=20', { seed: 3 });
  const d = loadDataset('synthetic:images?size=8&train=60&test=20@4x4', { seed: 3 });
  assert.deepEqual(d.shape, [1, 4, 4]);
  assert.equal(d.train.count, base.train.count);
  assert.deepEqual([...d.test.labels], [...base.test.labels]);
  let sb = 0, sd = 0;
  for (const v of base.train.images) sb += v;
  for (const v of d.train.images) sd += v;
  assert.ok(Math.abs(sb / 4 - sd) < 1e-3 * Math.max(1, sb), `block means keep the total / 4 (${sb / 4} vs ${sd})`);
  assert.throws(() => loadDataset('synthetic:images?size=8&train=60&test=20@3x3', { seed: 3 }), UserError);
});
