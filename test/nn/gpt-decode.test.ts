// The key/value-cache decoder (one fused step per token) against the full forward: every step's logits
// equal the full forward's column for that position (within 1e-5 of the logits' scale) on awkward shapes
// (one head of width 1, odd widths, context 1, untied heads, masked and 2:4 weights) in every matrix
// format (dense, CSR, bitmap, sliced ELL, 2:4), the plain twin and the native step at every ISA level;
// and sampling through the cache gives the same tokens as recomputing the window every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { loadNativeBackend, type Isa } from '../../src/backend/native.js';
import type { Backend, DecoderMatrix, DecoderSpec } from '../../src/backend/backend.js';
import { buildGpt, gptConfig } from '../../src/models/gpt.js';
import { GptDecoder, pickFormat, SELL_BELOW, type FormatChoice } from '../../src/nn/gpt/decode.js';
import { generateTokens } from '../../src/nn/gpt/generate.js';
import type { Gpt } from '../../src/nn/gpt/model.js';
import { Rng } from '../../src/util/rng.js';

const loaded = loadNativeBackend();
if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);
const nb = loaded.backend;
const BACKENDS: Backend[] = [ref, nb];
/** fn on the reference backend, then on the native one at every ISA level this CPU runs. */
function eachBackend(fn: (be: Backend, what: string) => void): void {
  fn(ref, 'reference');
  const was = nb.detail as Isa;
  try { for (const isa of nb.supportedIsas()) { nb.setIsa(isa); fn(nb, `native ${isa}`); } } finally { nb.setIsa(was); }
}

/** A model with non-zero biases and LayerNorm parameters; `prune`: random masks or a 2:4 pattern on the block matrices. */
function model(spec: string, vocab: number, seed: number, prune: 'none' | 'random' | '2:4' = 'none'): Gpt {
  const m = buildGpt(gptConfig(spec, vocab), { seed, density: prune === 'random' ? 0.1 : 1 });
  const rng = new Rng(seed + 99);
  for (const l of m.weightLayers()) for (let i = 0; i < l.bias.length; i++) l.bias[i] = 0.05 * rng.normal();
  for (const b of m.blocks) for (const ln of [b.ln1, b.ln2]) for (let i = 0; i < ln.dim; i++) { ln.gamma[i] = 1 + 0.2 * rng.normal(); ln.beta[i] = 0.1 * rng.normal(); }
  if (prune === '2:4') {
    for (const b of m.blocks) for (const l of b.weightLayers()) {
      const w = l.weights.toDense();
      for (let g = 0; g < w.length; g += 4) { const keep = rng.permutation(4).slice(0, 2); for (let k = 0; k < 4; k++) if (!keep.includes(k)) w[g + k] = 0; }
      l.setWeights(w, null);
    }
  }
  return m;
}

function checkSteps(be: Backend, m: Gpt, choice: FormatChoice, what: string): void {
  const { context: T, vocab: V } = m.config;
  const rng = new Rng(7);
  const tokens = Int32Array.from({ length: T }, () => rng.int(V));
  const full = m.forward(be, tokens, 1, T);
  let scale = 0;
  for (const v of full) scale = Math.max(scale, Math.abs(v));
  const dec = new GptDecoder(be, m, choice);
  for (let t = 0; t < T; t++) {
    const logits = dec.step(tokens[t]!);
    for (let v = 0; v < V; v++) {
      const d = Math.abs(logits[v]! - full[v * T + t]!);
      if (!(d <= 1e-5 * Math.max(1, scale))) assert.fail(`${what} ${be.name} ${be.detail} ${choice}: position ${t} token ${v}: cached ${logits[v]} vs full ${full[v * T + t]}`);
    }
  }
  assert.equal(dec.length, T);
  assert.throws(() => dec.step(0), /whole context/);
  dec.reset();
  assert.equal(dec.length, 0);
}

const SHAPES: Array<[string, number]> = [['gpt:1-1-1-1', 3], ['gpt:2-3-9-7', 11], ['gpt:1-4-8-5-untied', 6], ['gpt:2-2-36-19', 13], ['gpt:1-1-20-33-untied', 5]];

test('decoder logits equal the full forward at every position: awkward shapes, every format, both backends, every ISA', () => {
  for (const [spec, vocab] of SHAPES) {
    eachBackend((be) => {
      for (const choice of ['auto', 'dense', 'csr', 'bitmap', 'sell'] as const) checkSteps(be, model(spec, vocab, 3), choice, spec);
      for (const choice of ['auto', 'csr', 'bitmap', 'sell'] as const) checkSteps(be, model(spec, vocab, 4, 'random'), choice, `${spec} 10% dense`);
    });
  }
});

test('2:4-pruned block matrices run on the 2:4 kernel and match the full forward', () => {
  for (const [spec, vocab] of [['gpt:2-2-8-6', 7], ['gpt:1-3-36-9-untied', 10]] as const) {
    const m = model(spec, vocab, 5, '2:4');
    eachBackend((be) => {
      const dec = new GptDecoder(be, m);
      assert.deepEqual(dec.matrices().filter((p) => p.name.startsWith('h.') && p.format !== '2:4'), []);
      for (const choice of ['auto', 'bitmap', 'sell'] as const) checkSteps(be, m, choice, `${spec} 2:4`);
    });
  }
});

test('format rule: 2:4 when the pattern allows, sliced ELL below SELL_BELOW density, dense otherwise', () => {
  const w = new Float32Array(8 * 16).map((_, i) => (i % 4 < 2 ? 1 : 0));
  assert.equal(pickFormat(w, 8, 16), '2:4');
  const sparse = new Float32Array(8 * 600); for (let i = 0; i < sparse.length; i += 20) sparse[i] = 1;
  assert.equal(pickFormat(sparse, 8, 600), 'sell');
  const half = new Float32Array(64).map((_, i) => (i % 8 < 4 ? 1 : 0)); // 4 of each 8, but groups of 4 full
  assert.equal(pickFormat(half, 8, 8), 'sell');
  assert.equal(SELL_BELOW > 0.5 && SELL_BELOW <= 1, true);
  const dense = new Float32Array(100).map((_, i) => (i % 10 < Math.ceil(10 * SELL_BELOW) ? 1 : 0));
  assert.equal(pickFormat(dense, 10, 10), 'dense');
  assert.equal(pickFormat(new Float32Array(64).fill(1), 8, 8), 'dense');
  assert.equal(pickFormat(half, 8, 8, 'csr'), 'csr');
  assert.equal(pickFormat(half, 8, 8, '2:4'), 'dense'); // forced 2:4 where the pattern is not: dense
  assert.equal(pickFormat(w, 8, 16, 'bitmap'), 'bitmap');
  assert.equal(pickFormat(half, 8, 8, 'auto', false), 'dense'); // without AVX-512, sliced ELL only below SELL_ALWAYS_BELOW
  assert.equal(pickFormat(sparse, 8, 600, 'auto', false), 'sell');
});

test('decoder refusals: a full cache, a token outside the vocabulary, a matrix its format cannot hold', () => {
  const m = model('gpt:1-1-4-2', 3, 1);
  eachBackend((be) => {
    const dec = new GptDecoder(be, m);
    assert.throws(() => dec.step(3), /outside the vocabulary/);
    dec.step(0); dec.step(2);
    assert.throws(() => dec.step(1), /whole context/);
    dec.reset();
    dec.step(1);
    assert.equal(dec.length, 1);
  });
  const D = 4, ones = new Float32Array(D).fill(1), zeros = new Float32Array(D);
  const mat = (rows: number, cols: number): DecoderMatrix => ({ format: 'dense', weights: new Float32Array(rows * cols).fill(1), bias: null });
  const spec: DecoderSpec = {
    layers: 1, heads: 1, dim: D, context: 2, vocab: 3, wte: new Float32Array(3 * D), wpe: new Float32Array(2 * D),
    blocks: [{ ln1Gamma: ones, ln1Beta: zeros, ln2Gamma: ones, ln2Beta: zeros, attn: { ...mat(3 * D, D), format: '2:4' }, proj: mat(D, D), fc: mat(4 * D, D), fcProj: mat(D, 4 * D) }],
    lnFGamma: ones, lnFBeta: zeros, head: mat(3, D),
  };
  for (const be of BACKENDS) assert.throws(() => be.prepareDecoder(spec), /2:4/);
  const bad = { ...spec, heads: 3 };
  for (const be of BACKENDS) assert.throws(() => be.prepareDecoder(bad), /multiple of heads/);
});

test('sampling through the cache gives the same tokens as recomputing the window, inside and past the context', () => {
  for (const [spec, vocab] of [['gpt:2-3-9-7', 11], ['gpt:1-2-16-12', 9]] as const) {
    const m = model(spec, vocab, 6);
    for (const o of [{ temperature: 0, topK: 0 }, { temperature: 0.9, topK: 0 }, { temperature: 1.3, topK: 3 }]) {
      for (const promptLen of [1, 4]) {
        const prompt = Int32Array.from({ length: promptLen }, (_, i) => (i * 5) % vocab);
        const opts = { tokens: 20, ...o };
        const cached = generateTokens(nb, m, prompt, { ...opts, mode: 'cached' }, new Rng(11).stream('sample'));
        const full = generateTokens(nb, m, prompt, { ...opts, mode: 'full' }, new Rng(11).stream('sample'));
        assert.deepEqual(Array.from(cached), Array.from(full), `${spec} ${JSON.stringify(o)} prompt ${promptLen}`);
      }
    }
  }
});
