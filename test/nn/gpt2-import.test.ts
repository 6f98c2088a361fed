// A tiny GPT-2 in the Hugging Face layout (bench/pytorch_gpt2.py: transformers' modeling_gpt2 re-implemented
// in torch, weights in safetensors) imported into winnow's Gpt gives the peer's logits (float64 in the peer,
// float32 here) within 1e-4, on two full context windows and on a shorter prefix, on both backends; with the
// `transformer.` prefix, a stored tied lm_head and the causal-mask buffers too. Missing, misshapen or
// foreign tensors and a config.json that disagrees are one-line errors naming the tensor or the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { loadNativeBackend } from '../../src/backend/native.js';
import { importGpt2 } from '../../src/io/gpt2-import.js';
import { importSafetensors, type DenseTensor, type SafetensorsFile } from '../../src/io/safetensors.js';
import { UserError } from '../../src/util/errors.js';
import type { Gpt } from '../../src/nn/gpt/model.js';

const loaded = loadNativeBackend();
if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);
const dir = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny/', import.meta.url));
const st = importSafetensors(join(dir, 'model.safetensors'));
const config = { json: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>, path: 'config.json' };
const exp = new Map(importSafetensors(join(dir, 'expected.safetensors')).tensors.map((t) => [t.name, t]));
const ids = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { ids: number[] }).ids;

/** max |winnow − peer| over the logits of B windows of T tokens starting at token 0. */
function logitError(model: Gpt, be: typeof ref, B: number, T: number, peer: DenseTensor): number {
  const V = model.config.vocab, tokens = Int32Array.from(ids.slice(0, B * T));
  const logits = model.forward(be, tokens, B, T);
  assert.deepEqual(peer.shape, [B, T, V]);
  let e = 0;
  for (let j = 0; j < B * T; j++) for (let v = 0; v < V; v++) e = Math.max(e, Math.abs(logits[v * B * T + j]! - peer.data[j * V + v]!));
  return e;
}

const rename = (f: SafetensorsFile, fn: (t: DenseTensor) => DenseTensor | null): SafetensorsFile =>
  ({ metadata: f.metadata, tensors: f.tensors.map(fn).filter((t): t is DenseTensor => t !== null) });

test('imported tiny GPT-2 gives the peer\'s logits within 1e-4 (two windows, and a 7-token prefix; both backends)', () => {
  const r = importGpt2(st, 'model.safetensors', { config });
  assert.equal(r.spec, 'gpt:2-2-32-32');
  assert.equal(r.prefix, '');
  for (const be of [ref, loaded.backend]) {
    const full = logitError(r.model, be, 2, 32, exp.get('logits')!);
    const prefix = logitError(r.model, be, 1, 7, exp.get('prefix_logits')!);
    assert.ok(full < 1e-4 && prefix < 1e-4, `${be.name}: max |Δlogit| ${full} (windows), ${prefix} (prefix)`);
  }
});

test('GPT2LMHeadModel layout: transformer. prefix, a tied lm_head.weight stored, causal-mask buffers skipped', () => {
  const wte = st.tensors.find((t) => t.name === 'wte.weight')!;
  const f = rename(st, (t) => ({ ...t, name: 'transformer.' + t.name }));
  const mask = (i: number): DenseTensor => ({ name: `transformer.h.${i}.attn.bias`, shape: [1, 1, 32, 32], data: new Float32Array(32 * 32).fill(1) });
  f.tensors.push({ name: 'lm_head.weight', shape: wte.shape, data: wte.data }, mask(0), mask(1), { name: 'transformer.h.0.attn.masked_bias', shape: [], data: Float32Array.of(-1e4) });
  const r = importGpt2(f, 'lm.safetensors', { config });
  assert.equal(r.spec, 'gpt:2-2-32-32');
  assert.equal(r.prefix, 'transformer.');
  assert.equal(r.skipped.length, 3);
  assert.ok(logitError(r.model, loaded.backend, 2, 32, exp.get('logits')!) < 1e-4);
  // a head of its own becomes an untied winnow head
  const own = { name: 'lm_head.weight', shape: wte.shape, data: wte.data.map((x) => -x) };
  const u = importGpt2({ metadata: {}, tensors: [...st.tensors, own] }, 'lm.safetensors', { config });
  assert.equal(u.spec, 'gpt:2-2-32-32-untied');
  assert.deepEqual(u.model.head!.weights.toDense(), own.data);
});

test('heads: from config.json, --heads, or 64-wide; an impossible count is an error', () => {
  assert.equal(importGpt2(st, 'm', { heads: 4 }).spec, 'gpt:2-4-32-32');
  const fails = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), String(re));
  };
  fails(() => importGpt2(st, 'm.safetensors'), /m\.safetensors: the number of heads is not in the tensor shapes \(n_embd 32\); put config\.json \(n_head\) beside the checkpoint or pass --heads/);
  fails(() => importGpt2(st, 'm', { heads: 3 }), /n_embd 32 is not a multiple of 3 heads/);
  fails(() => importGpt2(st, 'm', { config, heads: 4 }), /--heads 4: config\.json says n_head 2/);
});

test('missing, misshapen and foreign tensors; config.json disagreeing: one line naming the tensor or key', () => {
  const fails = (f: SafetensorsFile, re: RegExp, cfg: typeof config = config): void => {
    assert.throws(() => importGpt2(f, 'm.safetensors', { config: cfg }), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), String(re));
  };
  fails(rename(st, (t) => t.name === 'h.1.mlp.c_fc.weight' ? null : t), /m\.safetensors: tensor 'h\.1\.mlp\.c_fc\.weight' is missing \(expected \[32, 128\] \(Conv1D \[in, out\] with n_embd 32\)\)/);
  fails(rename(st, (t) => t.name === 'h.0.attn.c_attn.weight' ? { ...t, shape: [96, 32] } : t), /tensor 'h\.0\.attn\.c_attn\.weight' has shape \[96, 32\], expected \[32, 96\]/);
  fails(rename(st, (t) => t.name === 'ln_f.bias' ? { ...t, shape: [16, 2] } : t), /tensor 'ln_f\.bias' has shape \[16, 2\], expected \[32\]/);
  fails(rename(st, (t) => t.name === 'wte.weight' ? null : t), /tensor 'wte\.weight' \(or 'transformer\.wte\.weight'\) is missing: not a GPT-2 checkpoint/);
  fails(rename(st, (t) => t.name === 'wpe.weight' ? null : t), /tensor 'wpe\.weight' is missing \(expected \[n_positions, 32\]\)/);
  fails({ metadata: {}, tensors: [...st.tensors, { name: 'h.0.attn.q_norm.weight', shape: [32], data: new Float32Array(32) }] }, /tensor 'h\.0\.attn\.q_norm\.weight' is not part of GPT-2 \(gpt:2-2-32-32\)/);
  fails(rename(st, (t) => t.name === 'h.0.ln_1.bias' ? { ...t, data: t.data.map((x, i) => (i === 3 ? NaN : x)) } : t), /tensor 'h\.0\.ln_1\.bias' holds a non-finite value at index 3/);
  const cfg = (k: string, v: unknown): typeof config => ({ path: 'config.json', json: { ...config.json, [k]: v } });
  fails(st, /config\.json: n_positions is 1024, but 'wpe\.weight' gives n_positions 32/, cfg('n_positions', 1024));
  fails(st, /config\.json: n_layer is 12, but the file's blocks h\.0 … give n_layer 2/, cfg('n_layer', 12));
  fails(st, /config\.json: activation_function "relu" is not supported/, cfg('activation_function', 'relu'));
  fails(st, /config\.json: layer_norm_epsilon 0\.001 is not supported/, cfg('layer_norm_epsilon', 1e-3));
});
