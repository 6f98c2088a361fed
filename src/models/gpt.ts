// `gpt:L-H-D-T[-untied]`: builds the transformer of src/nn/gpt with nanoGPT's initialization
// (every matrix N(0, 0.02²), the two residual projections N(0, (0.02/√(2L))²), biases 0, LayerNorm 1/0),
// and optionally a random mask of a given density on every weight matrix.
import { Gpt, parseGptSpec, type GptConfig } from '../nn/gpt/model.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export { Gpt, isGptSpec, parseGptSpec, type GptConfig } from '../nn/gpt/model.js';

const MAX = { layers: 96, heads: 128, dim: 8192, context: 8192, vocab: 1 << 20, params: 2e9 };

/** The configuration of a spec for a vocabulary, with its limits checked (UserError naming the flag). */
export function gptConfig(spec: string, vocab: number, flag = '--model'): GptConfig {
  const c = parseGptSpec(spec);
  if (!c) throw new UserError(`${flag} ${spec}: expected gpt:LAYERS-HEADS-WIDTH-CONTEXT (e.g. gpt:4-4-128-64), optionally with -untied and then -nobias`);
  for (const k of ['layers', 'heads', 'dim', 'context'] as const) {
    if (!(c[k] >= 1 && c[k] <= MAX[k])) throw new UserError(`${flag} ${spec}: ${k} must be in [1, ${MAX[k]}], got ${c[k]}`);
  }
  if (c.dim % c.heads !== 0) throw new UserError(`${flag} ${spec}: the width ${c.dim} is not a multiple of the ${c.heads} heads`);
  if (!(vocab >= 1 && vocab <= MAX.vocab)) throw new UserError(`${flag} ${spec}: vocabulary of ${vocab} outside [1, ${MAX.vocab}]`);
  const cfg = { ...c, vocab };
  const params = (vocab + c.context) * c.dim + c.layers * 12 * c.dim * c.dim + (c.tied ? 0 : vocab * c.dim);
  if (params > MAX.params) throw new UserError(`${flag} ${spec}: ${params} parameters exceed the limit of ${MAX.params}`);
  return cfg;
}

export interface GptBuildOptions {
  seed: number;
  /** keep this random fraction of every weight matrix (1: dense) */
  density?: number;
  storage?: 'dense' | 'sparse' | 'auto';
}

export function buildGpt(config: GptConfig, o: GptBuildOptions): Gpt {
  const model = new Gpt(config, { storage: o.storage ?? 'auto' });
  const rng = new Rng(o.seed).stream('gpt-init');
  const maskRng = new Rng(o.seed).stream('gpt-mask');
  const density = o.density ?? 1;
  const residualStd = 0.02 / Math.sqrt(2 * config.layers);
  for (const l of model.weightLayers()) {
    const { rows, cols } = l.weights;
    const std = l.name.endsWith('c_proj') ? residualStd : 0.02;
    const w = new Float32Array(rows * cols);
    for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
    let mask: Uint8Array | null = null;
    if (density < 1) {
      mask = new Uint8Array(rows * cols);
      const keep = Math.max(1, Math.round(density * rows * cols));
      const perm = maskRng.permutation(rows * cols);
      for (let i = 0; i < keep; i++) mask[perm[i]!] = 1;
    }
    l.setWeights(w, mask);
  }
  return model;
}
