// Model files ↔ networks: fp32 round trips give bit-identical logits; quantized files load exactly the
// dequantized weights (and the sparse layers run on CSR); malformed files and MODEL references fail
// with one-line UserErrors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '../../src/backend/index.js';
import { loadModel, modelFromFile, planModel, predictRows, saveModel, serializeModel } from '../../src/io/model-io.js';
import { parseModelFile, serializeModelFile } from '../../src/io/modelfile.js';
import { roundTrip } from '../../src/quant/formats.js';
import { encodeTensor } from '../../src/sparse/encodings.js';
import { parseTicketRef, resolveModel } from '../../src/compare/model-source.js';
import { UserError } from '../../src/util/errors.js';
import { INFO, randomInputs, tinyModel } from './helpers.js';

const be = getBackend('reference');
const dir = mkdtempSync(join(tmpdir(), 'winnow-model-io-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('fp32 save → load gives identical logits, sparse layers on CSR, size = plan', () => {
  const m = tinyModel(1);
  const path = join(dir, 'fp32.wnn');
  const saved = saveModel(path, m, INFO, { format: 'fp32', encoding: 'auto' });
  assert.equal(saved.bytes, planModel(m, INFO, { format: 'fp32', encoding: 'auto' }).bytes);
  const loaded = loadModel(path, be);
  assert.deepEqual(loaded.info, INFO);
  assert.deepEqual(loaded.model.weightLayers().map((l) => l.weights.storage), ['sparse', 'dense', 'dense']);
  const x = randomInputs(2, 33);
  const a = predictRows(be, m, x, 33, 8), b = predictRows(be, loaded.model, x, 33, 5);
  assert.deepEqual(b, a);
  for (const [la, lb] of m.weightLayers().map((l, i) => [l, loaded.model.weightLayers()[i]!] as const)) {
    assert.deepEqual(lb.weights.toDense(), la.weights.toDense());
    assert.deepEqual(lb.weights.toMask(), la.weights.toMask());
    assert.deepEqual(lb.bias, la.bias);
  }
});

test('quantized files load exactly the dequantized weights (dense and csr value lists)', () => {
  const m = tinyModel(3, [1, 1, 1]);
  for (const [format, encoding] of [['int8-channel', 'dense'], ['nvfp4', 'dense'], ['bf16', 'dense']] as const) {
    const loaded = modelFromFile(parseModelFile(serializeModel(m, INFO, { format, encoding }).file, 'mem'), 'mem').model;
    m.weightLayers().forEach((l, i) => {
      // A value that quantizes to −0 is dropped like a pruned weight (stored as +0): equal in every product.
      const expect = roundTrip(format, l.weights.toDense(), [l.weights.rows, l.weights.cols]).map((v) => (v === 0 ? 0 : v));
      assert.deepEqual(loaded.weightLayers()[i]!.weights.toDense(), expect, `${format} ${l.name}`);
      assert.deepEqual(loaded.weightLayers()[i]!.bias, l.bias, 'biases stay fp32');
    });
  }
  const s = tinyModel(4, [0.1, 0.1, 0.1]);
  const loaded = modelFromFile(parseModelFile(serializeModel(s, INFO, { format: 'int4-channel', encoding: 'csr' }).file, 'mem'), 'mem').model;
  s.weightLayers().forEach((l, i) => {
    const dense = l.weights.toDense(), { rows, cols } = l.weights;
    const rowPtr = new Uint32Array(rows + 1), vals: number[] = [];
    for (let r = 0; r < rows; r++) { for (let c = 0; c < cols; c++) if (dense[r * cols + c] !== 0) vals.push(dense[r * cols + c]!); rowPtr[r + 1] = vals.length; }
    const q = roundTrip('int4-channel', Float32Array.from(vals), [rows, cols], rowPtr);
    const got = loaded.weightLayers()[i]!.weights;
    assert.equal(got.storage, 'sparse');
    const gd = got.toDense();
    let k = 0;
    for (let p = 0; p < dense.length; p++) if (dense[p] !== 0) { assert.equal(gd[p], q[k]); k++; } else assert.equal(gd[p], 0);
  });
  // The quantized network's logits are those of its dequantized weights (checked above) and differ from fp32.
  const x = randomInputs(5, 10);
  assert.notDeepEqual(predictRows(be, loaded, x, 10), predictRows(be, s, x, 10));
});

test('prune24 stores a 2:4 matrix; every encoding round-trips through the loader', () => {
  const m = tinyModel(6, [1, 1, 1]);
  const s = serializeModel(m, INFO, { format: 'fp8-e4m3', encoding: '2:4', prune24: true });
  const loaded = modelFromFile(parseModelFile(s.file, 'mem'), 'mem').model;
  for (const l of loaded.weightLayers()) assert.ok(l.weights.density <= 0.5);
  for (const enc of ['csr', 'bitmask', 'gap4', 'gap8'] as const) {
    const t = tinyModel(7);
    const back = modelFromFile(parseModelFile(serializeModel(t, INFO, { format: 'fp32', encoding: enc }).file, enc), enc).model;
    const x = randomInputs(8, 4);
    assert.deepEqual(predictRows(be, back, x, 4), predictRows(be, t, x, 4), enc);
  }
});

test('malformed model files and MODEL references are UserErrors naming the problem', () => {
  const m = tinyModel(9);
  const { tensors, meta } = { tensors: [encodeTensor('fc1.weight', new Float32Array(16 * 20), [16, 20], 'fp32', 'dense')], meta: { kind: 'winnow-model', spec: INFO.spec, inputShape: [1, 1, 20], classes: 4 } };
  assert.throws(() => modelFromFile(parseModelFile(serializeModelFile(tensors, meta), 'f.wnn'), 'f.wnn'), (e: unknown) => e instanceof UserError && /f\.wnn: tensor 'fc1\.bias' is missing/.test(e.message));
  const noSpec = serializeModelFile(tensors, { kind: 'winnow-model', inputShape: [1, 1, 20], classes: 4 });
  assert.throws(() => modelFromFile(parseModelFile(noSpec, 'g.wnn'), 'g.wnn'), (e: unknown) => e instanceof UserError && /g\.wnn: meta\.spec/.test(e.message));
  const foreign = serializeModelFile(tensors, { arch: 'x' });
  assert.throws(() => modelFromFile(parseModelFile(foreign, 'h.wnn'), 'h.wnn'), (e: unknown) => e instanceof UserError && /meta\.kind/.test(e.message));
  const extra = serializeModel(m, INFO).file;
  const parsed = parseModelFile(extra, 'e.wnn');
  const withExtra = serializeModelFile([...parsed.tensors, encodeTensor('junk', new Float32Array(3), [3], 'fp32', 'dense')], parsed.meta);
  assert.throws(() => modelFromFile(parseModelFile(withExtra, 'e.wnn'), 'e.wnn'), /'junk' do not belong/);
  assert.throws(() => resolveModel(join(dir, 'missing.wnn')), (e: unknown) => e instanceof UserError && /no such file/.test(e.message));
  assert.throws(() => resolveModel(`${dir}/lottery_0000000000000000:level=2`), (e: unknown) => e instanceof UserError && /hparams\.json not found/.test(e.message));
});

test('ticket references parse with defaults and reject bad keys', () => {
  assert.deepEqual(parseTicketRef('runs/lottery_abc:level=3'), { root: 'runs', runId: 'lottery_abc', level: 3, replicate: 0, branch: 'ticket' });
  assert.deepEqual(parseTicketRef('lottery_abc:level=1:replicate=2:branch=random-prune', 'st'), { root: 'st', runId: 'lottery_abc', level: 1, replicate: 2, branch: 'random-prune' });
  assert.equal(parseTicketRef('model.wnn'), null);
  assert.throws(() => parseTicketRef('runs/lottery_abc:level=x'), /level must be a non-negative integer/);
  assert.throws(() => parseTicketRef('runs/lottery_abc:lvl=1'), /unknown key 'lvl'/);
  assert.throws(() => parseTicketRef('runs/lottery_abc:branch=ticket'), /level=<n> is required/);
  assert.throws(() => parseTicketRef('runs/lottery_abc:level=1:branch=foo'), /branch must be one of/);
});
