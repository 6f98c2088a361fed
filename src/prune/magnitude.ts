// Magnitude pruning (Frankle & Carbin 2019; Han et al. 2015): remove the surviving weights of
// smallest |w|. Layer-wise prunes a fraction of each layer's remaining weights at that layer's
// rate (the LTH protocol for LeNet and Conv-2/4/6); global ranks all prunable weights together
// (the protocol for deep nets). Ties in |w| are broken by index, so the result is deterministic.
import { UserError } from '../util/errors.js';

export interface PrunableLayer {
  name: string;
  kind: 'fc' | 'conv';
  /** True for the layer that produces the logits (pruned at its own, usually half, rate). */
  isOutput: boolean;
  weights: Float32Array;
  mask: Uint8Array;
}

export interface PruneRates { fc: number; conv: number; output: number }

/** The LTH paper's per-round rates for each architecture (Figure 2). */
export function paperRates(model: string): PruneRates {
  if (model === 'conv6') return { fc: 0.2, conv: 0.15, output: 0.1 };
  return { fc: 0.2, conv: 0.1, output: 0.1 };
}

export function rateOf(layer: Pick<PrunableLayer, 'kind' | 'isOutput'>, rates: PruneRates): number {
  return layer.isOutput ? rates.output : layer.kind === 'conv' ? rates.conv : rates.fc;
}

/**
 * Positions 0 … n−1 of `values` sorted by ascending |value|, ties by position: the ranking of every magnitude
 * pruning and drop (IMP layer-wise and global, RigL's drop, the inverted-ticket ablation). |v|'s bits (sign cleared)
 * order like |v| for every float but NaN, so a stable radix sort of them sorts by (|v|, position), 5–15× faster than
 * a comparator sort at LeNet's 235k weights; with a NaN among them, the comparator sort (whatever it makes of NaN).
 */
export function orderByMagnitude(values: Float32Array): Int32Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const key = new Uint32Array(n), order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i]!)) return Int32Array.from(Array.from(values.keys()).sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b));
    key[i] = bits[i]! & 0x7fffffff; order[i] = i;
  }
  return radixSortBy(key, order);
}

/** idx reordered by ascending key (31-bit), stably: three counting-sort passes of 11, 11 and 9 bits. */
function radixSortBy(key: Uint32Array, idx: Int32Array): Int32Array {
  const n = key.length;
  let k0: Uint32Array = key, i0: Int32Array = idx, k1: Uint32Array = new Uint32Array(n), i1: Int32Array = new Int32Array(n);
  const counts = new Int32Array(2049);
  for (const shift of [0, 11, 22]) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[((k0[j]! >>> shift) & 2047) + 1]!++;
    for (let b = 0; b < 2048; b++) counts[b + 1]! += counts[b]!;
    for (let j = 0; j < n; j++) {
      const d = counts[(k0[j]! >>> shift) & 2047]!++;
      k1[d] = k0[j]!; i1[d] = i0[j]!;
    }
    [k0, k1] = [k1, k0]; [i0, i1] = [i1, i0];
  }
  return i0;
}

/** Indices of kept weights sorted by ascending |w|, ties by index. */
export function keptByMagnitude(weights: Float32Array, mask: Uint8Array): Int32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) count++;
  const kept = new Int32Array(count), values = new Float32Array(count);
  for (let i = 0, k = 0; i < mask.length; i++) if (mask[i]) { kept[k] = i; values[k++] = weights[i]!; }
  const order = orderByMagnitude(values);
  for (let j = 0; j < count; j++) order[j] = kept[order[j]!]!;
  return order;
}

/** Prunes round(rate · remaining) weights per layer; returns new masks (inputs are not modified). */
export function pruneLayerwise(layers: PrunableLayer[], rates: PruneRates): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const l of layers) {
    const order = keptByMagnitude(l.weights, l.mask);
    const remove = Math.round(rateOf(l, rates) * order.length);
    const mask = l.mask.slice();
    for (let i = 0; i < remove; i++) mask[order[i]!] = 0;
    out[l.name] = mask;
  }
  return out;
}

/**
 * Prunes round(rate · remaining) weights ranked together across layers. The output layer keeps its
 * own layer-wise rate (LTH halves it; open_lth excludes it: pass output 0).
 */
export function pruneGlobal(layers: PrunableLayer[], rate: number, outputRate: number): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  // The kept weights pooled in (layer, index) order, so that ties in |w| break by layer, then index.
  const layerOf: number[] = [], indexOf: number[] = [], pooled: number[] = [];
  layers.forEach((l, li) => {
    out[l.name] = l.mask.slice();
    if (l.isOutput) {
      Object.assign(out, pruneLayerwise([l], { fc: outputRate, conv: outputRate, output: outputRate }));
      return;
    }
    for (let i = 0; i < l.mask.length; i++) if (l.mask[i]) { layerOf.push(li); indexOf.push(i); pooled.push(l.weights[i]!); }
  });
  const order = orderByMagnitude(Float32Array.from(pooled));
  const remove = Math.round(rate * order.length);
  for (let i = 0; i < remove; i++) out[layers[layerOf[order[i]!]!]!.name]![indexOf[order[i]!]!] = 0;
  return out;
}

/**
 * Per-layer densities that one-shot pruning gives to reach an overall target density: the same
 * per-layer ratios iterative pruning would reach after n rounds, with n (fractional) solved so the
 * total kept count matches the target.
 */
export function oneShotDensities(layers: Array<Pick<PrunableLayer, 'kind' | 'isOutput'> & { size: number }>, rates: PruneRates, target: number): number[] {
  const total = layers.reduce((s, l) => s + l.size, 0);
  const kept = (n: number): number => layers.reduce((s, l) => s + l.size * Math.pow(1 - rateOf(l, rates), n), 0) / total;
  let lo = 0, hi = 1;
  while (kept(hi) > target && hi < 1e4) hi *= 2;
  for (let it = 0; it < 200; it++) { const mid = (lo + hi) / 2; if (kept(mid) > target) lo = mid; else hi = mid; }
  return layers.map((l) => Math.pow(1 - rateOf(l, rates), hi));
}

/**
 * Keeps the round(density · size) largest-magnitude weights of a layer (one-shot pruning). A density that
 * would keep no weight at all (e.g. --one-shot 1e-300) is refused with a UserError naming `layer`.
 */
export function pruneToDensity(weights: Float32Array, mask: Uint8Array, density: number, layer = 'a layer'): Uint8Array {
  if (!(density >= 0 && density <= 1)) throw new UserError(`pruning ${layer} to density ${density}: expected a density in (0, 1]`);
  const order = keptByMagnitude(weights, mask);
  const keep = Math.round(density * weights.length);
  if (keep === 0 && order.length > 0) {
    throw new UserError(`pruning ${layer} to density ${density} keeps 0 of its ${weights.length} weights, leaving a network that cannot learn; choose a density of at least ${(0.5 / weights.length).toPrecision(2)}`);
  }
  const out = mask.slice();
  for (let i = 0; i < order.length - keep; i++) out[order[i]!] = 0;
  return out;
}
