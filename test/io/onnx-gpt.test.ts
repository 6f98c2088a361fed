// The GPT's ONNX export computes winnow's logits in onnxruntime-node (within 1e-5 of the logits' scale)
// on awkward shapes: tied and untied heads, one head, odd widths, sequences from 1 token to the whole
// context, batches of 1 and 3, masked weights (exported as zeros).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/backend/index.js';
import { buildGpt, gptConfig } from '../../src/models/gpt.js';
import { exportGptOnnx } from '../../src/io/onnx-gpt.js';
import { Rng } from '../../src/util/rng.js';
import { loadOrt, ORT_OPTIONS } from '../../bench/ort.js';

const loaded = await loadOrt();
const ort = loaded.ok ? loaded.ort : null;

test('GPT ONNX export matches winnow logits in onnxruntime-node', async () => {
  if (!ort) throw new Error(loaded.ok ? '' : loaded.reason); // a dev dependency: its absence is a failure, not a skip
  const be = getBackend('native');
  for (const [spec, vocab, density] of [['gpt:2-3-9-7', 11, 1], ['gpt:1-1-4-5-untied', 6, 1], ['gpt:2-4-32-16', 13, 0.3]] as const) {
    const cfg = gptConfig(spec, vocab);
    const m = buildGpt(cfg, { seed: 2, density });
    const rng = new Rng(3);
    for (const l of m.weightLayers()) for (let i = 0; i < l.bias.length; i++) l.bias[i] = 0.05 * rng.normal();
    for (const b of m.blocks) for (let i = 0; i < cfg.dim; i++) { b.ln1.gamma[i] = 1 + 0.3 * rng.normal(); b.ln2.beta[i] = 0.1 * rng.normal(); }
    const session: import('onnxruntime-node').InferenceSession = await ort.InferenceSession.create(exportGptOnnx(m), { ...ORT_OPTIONS } as never);
    for (const [B, T] of [[1, 1], [1, cfg.context], [3, Math.max(1, cfg.context - 2)]] as const) {
      const tokens = Int32Array.from({ length: B * T }, () => rng.int(vocab));
      const want = m.forward(be, tokens, B, T); // [V × B·T], column b·T + t
      const out: import('onnxruntime-node').InferenceSession.ReturnType = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [B, T]) });
      const got = out['logits']!.data as Float32Array; // [B, T, V]
      assert.deepEqual(out['logits']!.dims, [B, T, vocab]);
      let scale = 0, worst = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < B * T; j++) for (let v = 0; v < vocab; v++) worst = Math.max(worst, Math.abs(got[j * vocab + v]! - want[v * B * T + j]!));
      assert.ok(worst <= 1e-5 * Math.max(1, scale), `${spec} B=${B} T=${T}: max |ORT − winnow| ${worst} (logit scale ${scale})`);
    }
    await session.release();
  }
});
