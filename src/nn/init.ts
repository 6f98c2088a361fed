// Weight initializers. fanIn/fanOut follow Glorot & Bengio (2010) and He et al. (2015):
// for a convolution they include the kernel area.
import type { Rng } from '../util/rng.js';

export type InitKind = 'glorot-normal' | 'glorot-uniform' | 'kaiming-normal' | 'kaiming-uniform';
export const INIT_KINDS: readonly InitKind[] = ['glorot-normal', 'glorot-uniform', 'kaiming-normal', 'kaiming-uniform'];

export function initWeights(out: Float32Array, kind: InitKind, fanIn: number, fanOut: number, rng: Rng): void {
  switch (kind) {
    case 'glorot-normal': fillNormal(out, Math.sqrt(2 / (fanIn + fanOut)), rng); break;
    case 'glorot-uniform': fillUniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng); break;
    case 'kaiming-normal': fillNormal(out, Math.sqrt(2 / fanIn), rng); break;
    case 'kaiming-uniform': fillUniform(out, Math.sqrt(6 / fanIn), rng); break;
  }
}

function fillNormal(out: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
}

function fillUniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
}
