// The exported dense ONNX model computes the same logits as winnow (checked with onnxruntime-node when
// it is installed), and non-MLP networks are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/backend/index.js';
import { exportOnnx } from '../../src/io/onnx.js';
import { predictRows } from '../../src/io/model-io.js';
import { buildModel } from '../../src/models/build.js';
import { Rng } from '../../src/util/rng.js';
import { loadOrt, ortSession } from '../../bench/ort.js';
import { randomInputs, tinyModel } from './helpers.js';

const ort = await loadOrt();

test('ONNX export matches winnow logits in onnxruntime-node (sync and await)', { skip: ort.ok ? false : ort.reason }, async () => {
  if (!ort.ok) return;
  const be = getBackend('reference');
  for (const m of [tinyModel(21), tinyModel(22, [1, 1, 1]), buildModel('lenet300', [1, 28, 28], 10, new Rng(3))]) {
    const feat = m.inFeatures, n = 9;
    const x = randomInputs(23, n, feat);
    const expect = predictRows(be, m, x, n);
    const s = await ortSession(ort.ort, ort.version, exportOnnx(m));
    for (const got of [s.runSync(x, n, feat), await s.runAsync(x, n, feat)]) {
      assert.equal(got.length, expect.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expect[i]!) / Math.max(1, Math.abs(expect[i]!)));
      assert.ok(worst < 1e-5, `${m.spec}: max relative difference ${worst}`);
    }
    await s.dispose();
  }
});

test('ONNX export of conv networks (Reshape, Conv, MaxPool, Flatten) matches winnow in onnxruntime-node', { skip: ort.ok ? false : ort.reason }, async () => {
  if (!ort.ok) return;
  for (const [spec, shape] of [['conv:4-pool/8', [1, 8, 8]], ['conv:3-5-pool-2/6', [2, 6, 10]], ['conv2', [1, 28, 28]]] as const) {
    const m = buildModel(spec, shape, 3, new Rng(5));
    const feat = m.inFeatures, n = 4;
    const x = randomInputs(24, n, feat);
    const expect = predictRows(getBackend('reference'), m, x, n);
    const s = await ortSession(ort.ort, ort.version, exportOnnx(m));
    const got = s.runSync(x, n, feat);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expect[i]!));
    assert.ok(worst < 1e-5, `${spec}: max |difference| ${worst}`);
    await s.dispose();
  }
});
