// SGD, SGD with momentum, and Adam over a model's parameter list. State (momentum buffers, Adam
// moments) is sized like each parameter's value array, so a sparse layer keeps state only for its
// nonzeros. Rebuild the optimizer when a layer's storage changes (after pruning).
import type { Backend } from '../backend/backend.js';
import type { Param, ParamLayout } from '../nn/layer.js';

export type OptimizerKind = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'momentum', 'adam'];

export interface OptimizerConfig {
  kind: OptimizerKind;
  lr: number;
  /** momentum only */
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface OptimizerState { step: number; buffers: Float32Array[] }

export class Optimizer {
  private step = 0;
  private readonly buffers: Float32Array[];

  constructor(private readonly params: Param[], readonly config: OptimizerConfig) {
    const perParam = config.kind === 'adam' ? 2 : config.kind === 'momentum' ? 1 : 0;
    this.buffers = params.flatMap((p) => Array.from({ length: perParam }, () => new Float32Array(p.value.length)));
  }

  /** Applies one update from the gradients currently in the params. */
  update(be: Backend, lr = this.config.lr): void {
    this.step++;
    const c = this.config, wd = c.weightDecay ?? 0, params = this.params, buffers = this.buffers;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!, len = p.value.length;
      switch (c.kind) {
        case 'sgd': be.sgdStep(p.value, p.grad, len, lr, wd); break;
        case 'momentum': be.momentumStep(p.value, p.grad, buffers[i]!, len, lr, c.momentum ?? 0.9, wd); break;
        case 'adam': be.adamStep(p.value, p.grad, buffers[2 * i]!, buffers[2 * i + 1]!, len, lr,
          c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8, this.step); break;
      }
    }
  }

  /** The state, each buffer in its parameter's canonical order (Param.layout): what checkpoints and slot maps use. */
  getState(): OptimizerState {
    return { step: this.step, buffers: this.buffers.map((b, i) => this.layoutOf(i)?.toCanonical(b) ?? b.slice()) };
  }

  setState(s: OptimizerState): void {
    if (s.buffers.length !== this.buffers.length || s.buffers.some((b, i) => b.length !== this.buffers[i]!.length)) {
      throw new Error('optimizer state does not match the model (different optimizer or masks)');
    }
    this.step = s.step;
    s.buffers.forEach((b, i) => { const l = this.layoutOf(i); if (l) l.fromCanonical(b, this.buffers[i]!); else this.buffers[i]!.set(b); });
  }

  /** The layout of buffer i's parameter (buffers are per parameter, in params order). */
  private layoutOf(i: number): ParamLayout | null {
    return this.params[Math.floor(i / (this.buffers.length / this.params.length))]?.layout ?? null;
  }
}
