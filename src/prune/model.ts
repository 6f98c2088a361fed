// Pruning a built model: read its weight layers as PrunableLayers and apply masks back to it.
import type { Sequential } from '../nn/sequential.js';
import type { PrunableLayer } from './magnitude.js';

/**
 * The model's weight layers as inputs to the pruning functions (dense copies of weights and masks;
 * the last weight layer is the output layer).
 */
export function prunableLayers(model: Sequential): PrunableLayer[] {
  const wl = model.weightLayers();
  return wl.map((l, i) => ({ name: l.name, kind: l.kind, isOutput: i === wl.length - 1, weights: l.weights.toDense(), mask: l.weights.toMask() }));
}

/**
 * Applies masks (layer name → 0/1 per weight) to the model: pruned weights become zero and stay zero in
 * training; each layer re-chooses dense or sparse storage. Layers not named keep their masks.
 */
export function applyMasks(model: Sequential, masks: Readonly<Record<string, Uint8Array>>): void {
  const names = new Set(model.weightLayers().map((l) => l.name));
  for (const k of Object.keys(masks)) if (!names.has(k)) throw new Error(`applyMasks: the model has no weight layer '${k}' (layers: ${[...names].join(', ')})`);
  for (const l of model.weightLayers()) {
    const m = masks[l.name];
    if (!m) continue;
    if (m.length !== l.weights.rows * l.weights.cols) throw new Error(`applyMasks: layer '${l.name}' has ${l.weights.rows * l.weights.cols} weights, the mask ${m.length}`);
    l.setWeights(l.weights.toDense(), m);
  }
}
