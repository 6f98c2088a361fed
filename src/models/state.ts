// Snapshots of a model's weights, biases and masks as plain dense arrays: what lottery tickets
// rewind to, what checkpoints store, and what pruning reads. Independent of dense/sparse storage.
import type { Sequential } from '../nn/sequential.js';

export interface LayerState { weight: Float32Array; bias: Float32Array; mask: Uint8Array }
export type ModelState = Record<string, LayerState>;

export function snapshot(model: Sequential): ModelState {
  const out: ModelState = {};
  for (const l of model.weightLayers()) out[l.name] = { weight: l.weights.toDense(), bias: l.bias.slice(), mask: l.weights.toMask() };
  return out;
}

/**
 * Loads weights and biases from a snapshot. With `masks`, the model takes those masks (and re-chooses
 * dense or sparse storage per layer); otherwise it takes the snapshot's masks.
 */
export function restore(model: Sequential, state: ModelState, masks?: Record<string, Uint8Array>): void {
  for (const l of model.weightLayers()) {
    const s = state[l.name];
    if (!s) throw new Error(`restore: the snapshot has no layer '${l.name}'`);
    l.setWeights(s.weight, masks?.[l.name] ?? s.mask);
    l.bias.set(s.bias);
  }
}

/** Fraction of weights (not biases) that are kept, over all weight layers. */
export function density(model: Sequential): number {
  let kept = 0, total = 0;
  for (const l of model.weightLayers()) { kept += l.weights.nnz; total += l.weights.rows * l.weights.cols; }
  return total === 0 ? 1 : kept / total;
}
