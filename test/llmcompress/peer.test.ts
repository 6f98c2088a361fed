// winnow's one-shot compression against the PyTorch peer (bench/pytorch_llm_compress.py fixture): the same
// trained tiny GPT, the same calibration windows, the same layer-by-layer order. Wanda's masks must be
// identical; SparseGPT and GPTQ validation losses within 0.01 nats of the peer's (which ran in float64;
// winnow's forward is float32, its Hessian and Cholesky float64). No torch needed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { importSafetensors } from '../../src/io/safetensors.js';
import { loadNativeBackend } from '../../src/backend/native.js';
import { Gpt } from '../../src/nn/gpt/model.js';
import { gptConfig } from '../../src/models/gpt.js';
import { oneShot, targetLayers, ONESHOT_DEFAULTS, type OneShotOptions } from '../../src/llmcompress/oneshot.js';
import { lmLoss } from '../../src/llmcompress/lm-compress.js';

const loaded = loadNativeBackend();
if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);
const be = loaded.backend;
const f = importSafetensors(fileURLToPath(new URL('../../../test/fixtures/llm-compress/peer.safetensors', import.meta.url)));
const t = new Map(f.tensors.map((x) => [x.name, x.data]));
const cfg = gptConfig(f.metadata['spec']!, [...f.metadata['vocab']!].length);
const calibration = Int32Array.from(t.get('calibration')!);
const val = Int32Array.from(t.get('validation')!);

function model(): Gpt {
  const m = new Gpt(cfg);
  const matrices = new Set(m.weightLayers().map((l) => `${l.name}.weight`));
  for (const l of m.weightLayers()) l.setWeights(Float32Array.from(t.get(`${l.name}.weight`)!), null);
  for (const p of m.params()) if (!matrices.has(p.name)) p.value.set(t.get(p.name)!);
  return m;
}

function run(o: Partial<OneShotOptions>): Gpt {
  const m = model();
  oneShot(be, m, calibration, { ...ONESHOT_DEFAULTS, prune: 'none', pattern: null, quant: 'rtn', format: 'fp32', ...o });
  return m;
}

const peerLoss = (k: string): number => t.get(`loss.${k}`)![0]!;

test('dense model: winnow and the peer agree on the validation loss', () => {
  const d = lmLoss(be, model(), val).loss;
  assert.ok(Math.abs(d - peerLoss('dense')) < 1e-4, `winnow ${d} vs peer ${peerLoss('dense')}`);
});

for (const [key, o] of [['wanda50', { prune: 'wanda', pattern: { kind: 'unstructured', sparsity: 0.5 } }], ['wanda24', { prune: 'wanda', pattern: { kind: 'nm', n: 2, m: 4 } }]] as const) {
  test(`Wanda masks are identical to the peer's (${key})`, () => {
    const m = run(o as Partial<OneShotOptions>);
    for (const l of targetLayers(m)) {
      const want = t.get(`${key}.${l.name}.mask`)!, got = l.weights.toDense();
      let diff = 0;
      for (let i = 0; i < want.length; i++) if ((want[i] !== 0) !== (got[i] !== 0)) diff++;
      assert.equal(diff, 0, `${l.name}: ${diff} of ${want.length} mask entries differ`);
    }
    const loss = lmLoss(be, m, val).loss;
    assert.ok(Math.abs(loss - peerLoss(key)) < 1e-3, `${key} loss ${loss} vs peer ${peerLoss(key)}`);
  });
}

for (const [key, o] of [
  ['sparsegpt50', { prune: 'sparsegpt', pattern: { kind: 'unstructured', sparsity: 0.5 } }],
  ['sparsegpt24', { prune: 'sparsegpt', pattern: { kind: 'nm', n: 2, m: 4 } }],
  ['gptq', { quant: 'gptq', format: 'int4-channel', embeddingFormat: 'fp32' }],
] as const) {
  test(`${key}: validation loss within 0.01 nats of the peer's, weights close`, () => {
    const m = run(o as Partial<OneShotOptions>);
    const loss = lmLoss(be, m, val).loss;
    // the issue asks for 0.01 nats; measured agreement is ~1e-7, so hold it to 1e-4
    assert.ok(Math.abs(loss - peerLoss(key)) < 1e-4, `${key} loss ${loss} vs peer ${peerLoss(key)}`);
    if (!t.has(`${key}.h.0.attn.c_attn.weight`)) return;
    for (const l of targetLayers(m)) {
      const want = t.get(`${key}.${l.name}.weight`)!, got = l.weights.toDense();
      let amax = 0, far = 0;
      for (let i = 0; i < want.length; i++) amax = Math.max(amax, Math.abs(want[i]!));
      for (let i = 0; i < want.length; i++) if (Math.abs(got[i]! - want[i]!) > 1e-3 * amax) far++;
      // float32 activations vs float64 may flip a rare mask or rounding decision; nearly all weights agree
      assert.ok(far <= 0.01 * want.length, `${key} ${l.name}: ${far} of ${want.length} weights differ by more than 1e-3·max|w|`);
    }
  });
}
