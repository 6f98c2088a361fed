// winnow's GPT against the PyTorch peer (bench/pytorch_gpt.py fixture): the same weights and batch give
// the same loss, logits and gradient of every parameter. The peer computed them in float64; winnow runs
// float32. Criterion per tensor: max |winnow − peer| ≤ 1e-4 · max |peer|. No torch needed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { importSafetensors } from '../../src/io/safetensors.js';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { loadNativeBackend } from '../../src/backend/native.js';
import { Gpt } from '../../src/nn/gpt/model.js';
import { gptConfig } from '../../src/models/gpt.js';

const loaded = loadNativeBackend();
if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);

function relErr(got: Float32Array, want: Float32Array): number {
  let m = 0, e = 0;
  for (let i = 0; i < want.length; i++) { m = Math.max(m, Math.abs(want[i]!)); e = Math.max(e, Math.abs(got[i]! - want[i]!)); }
  return e / m;
}

for (const name of ['tied', 'untied']) {
  test(`gpt matches the PyTorch peer: loss, logits and every gradient (${name} head)`, () => {
    const f = importSafetensors(fileURLToPath(new URL(`../../../test/fixtures/gpt-peer/${name}.safetensors`, import.meta.url)));
    const t = new Map(f.tensors.map((x) => [x.name, x.data]));
    const cfg = gptConfig(f.metadata['spec']!, Number(f.metadata['vocab']));
    const B = Number(f.metadata['batch']), T = cfg.context;
    const tokens = Int32Array.from(t.get('tokens')!), targets = Int32Array.from(t.get('targets')!);
    for (const be of [ref, loaded.backend]) {
      const model = new Gpt(cfg);
      const matrices = new Set(model.weightLayers().map((l) => `${l.name}.weight`));
      for (const l of model.weightLayers()) l.setWeights(t.get(`${l.name}.weight`)!, null);
      const params = model.params();
      for (const p of params) if (!matrices.has(p.name)) p.value.set(t.get(p.name)!);
      assert.equal(params.length, f.tensors.filter((x) => x.name.startsWith('grad.')).length, 'same parameter set as the peer');
      const loss = model.lossAndGrad(be, tokens, targets, B, T);
      assert.ok(Math.abs(loss - t.get('loss')![0]!) < 1e-5 * Math.abs(t.get('loss')![0]!), `${be.name} loss ${loss} vs ${t.get('loss')![0]}`);
      const logits = model.forward(be, tokens, B, T);
      // peer logits are [B, T, V]; winnow's [V × B·T]
      const V = cfg.vocab, peer = t.get('logits')!, mine = new Float32Array(peer.length);
      for (let j = 0; j < B * T; j++) for (let v = 0; v < V; v++) mine[j * V + v] = logits[v * B * T + j]!;
      assert.ok(relErr(mine, peer) <= 1e-4, `${be.name} logits: ${relErr(mine, peer)}`);
      model.lossAndGrad(be, tokens, targets, B, T);
      for (const p of params) {
        const want = t.get(`grad.${p.name}`);
        assert.ok(want, `peer has grad.${p.name}`);
        const e = relErr(p.grad, want);
        assert.ok(e <= 1e-4, `${be.name} ${name} grad ${p.name}: max relative error ${e}`);
      }
    }
  });
}
