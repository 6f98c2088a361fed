// Autoregressive sampling from a Gpt: the next token's logits divided by the temperature, cut to the k
// largest (top-k; 0 keeps all), and a token drawn from their softmax with the seeded generator
// (temperature 0: the argmax, first wins ties). While the sequence fits the context, the logits come
// from the key/value-cache decoder (decode.ts, one column per token); past the context the window of
// the last `context` tokens slides, its positions change, and each step recomputes that window with
// the full forward (as nanoGPT crops).
import type { Backend } from '../../backend/backend.js';
import type { Rng } from '../../util/rng.js';
import { GptDecoder, type FormatChoice } from './decode.js';
import type { Gpt } from './model.js';

export interface SampleOptions {
  tokens: number; temperature: number; topK: number;
  /** 'full' recomputes the whole window every token (no cache; the slow reference path) */
  mode?: 'cached' | 'full';
  /** the decoder's matrix formats (default: picked per matrix) */
  formats?: FormatChoice;
  /** a decoder prepared from this model (cached mode; reset first), else one is prepared here */
  decoder?: GptDecoder;
}

export function generateTokens(be: Backend, model: Gpt, prompt: Int32Array, o: SampleOptions, rng: Rng, onToken?: (id: number) => void): Int32Array {
  const { context, vocab } = model.config;
  const seq = new Int32Array(prompt.length + o.tokens);
  seq.set(prompt);
  let len = prompt.length;
  const probs = new Float64Array(vocab), order = new Int32Array(vocab);
  const decoder = o.mode === 'full' || o.tokens === 0 ? null : o.decoder ?? new GptDecoder(be, model, o.formats);
  decoder?.reset();
  for (let s = 0; s < o.tokens; s++) {
    let at: (v: number) => number;
    if (decoder && len <= context) {
      // feed every token not yet cached (the prompt at the first step, then the last sampled one)
      let logits = null;
      while (decoder.length < len) logits = decoder.step(seq[decoder.length]!);
      const l = logits!;
      at = (v) => l[v]!;
    } else {
      const start = Math.max(0, len - context), T = len - start;
      const logits = model.forward(be, seq.subarray(start, len), 1, T);
      at = (v) => logits[v * T + T - 1]!; // logits are [vocab × T]: the last position is column T − 1
    }
    let next = 0;
    if (o.temperature === 0) {
      let best = -Infinity;
      for (let v = 0; v < vocab; v++) { const l = at(v); if (l > best) { best = l; next = v; } }
    } else {
      for (let v = 0; v < vocab; v++) { probs[v] = at(v) / o.temperature; order[v] = v; }
      let keep = vocab;
      if (o.topK > 0 && o.topK < vocab) {
        order.sort((a, b) => probs[b]! - probs[a]! || a - b);
        keep = o.topK;
      }
      let m = -Infinity;
      for (let i = 0; i < keep; i++) m = Math.max(m, probs[order[i]!]!);
      let z = 0;
      for (let i = 0; i < keep; i++) z += Math.exp(probs[order[i]!]! - m);
      let u = rng.next() * z;
      next = order[keep - 1]!;
      for (let i = 0; i < keep; i++) { u -= Math.exp(probs[order[i]!]! - m); if (u < 0) { next = order[i]!; break; } }
    }
    seq[len++] = next;
    onToken?.(next);
  }
  return seq.subarray(prompt.length);
}
