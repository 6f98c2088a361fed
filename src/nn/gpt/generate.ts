// Autoregressive sampling from a Gpt: the last `context` tokens are fed each step (no KV cache), the
// last column's logits divided by the temperature, cut to the k largest (top-k; 0 keeps all), and a
// token drawn from their softmax with the seeded generator (temperature 0: the argmax, first wins ties).
import type { Backend } from '../../backend/backend.js';
import type { Rng } from '../../util/rng.js';
import type { Gpt } from './model.js';

export interface SampleOptions { tokens: number; temperature: number; topK: number }

export function generateTokens(be: Backend, model: Gpt, prompt: Int32Array, o: SampleOptions, rng: Rng, onToken?: (id: number) => void): Int32Array {
  const { context, vocab } = model.config;
  const seq = new Int32Array(prompt.length + o.tokens);
  seq.set(prompt);
  let len = prompt.length;
  const probs = new Float64Array(vocab), order = new Int32Array(vocab);
  for (let s = 0; s < o.tokens; s++) {
    const start = Math.max(0, len - context), T = len - start;
    const logits = model.forward(be, seq.subarray(start, len), 1, T);
    // logits are [vocab × T]: the last position is column T − 1
    let next = 0;
    if (o.temperature === 0) {
      let best = -Infinity;
      for (let v = 0; v < vocab; v++) { const l = logits[v * T + T - 1]!; if (l > best) { best = l; next = v; } }
    } else {
      for (let v = 0; v < vocab; v++) { probs[v] = logits[v * T + T - 1]! / o.temperature; order[v] = v; }
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
