// Random masks: the random-pruning control of the LTH paper, and `--density` for benchmarking
// sparse execution. Exactly round(density·n) weights are kept, chosen uniformly (partial Fisher–Yates).
import type { Rng } from '../util/rng.js';

export function randomMask(n: number, density: number, rng: Rng): Uint8Array {
  if (!(density > 0 && density <= 1)) throw new Error(`randomMask: density must be in (0, 1], got ${density}`);
  const keep = Math.max(n > 0 ? 1 : 0, Math.round(density * n));
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const mask = new Uint8Array(n);
  for (let i = 0; i < keep; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!; idx[i] = idx[j]!; idx[j] = t;
    mask[idx[i]!] = 1;
  }
  return mask;
}
