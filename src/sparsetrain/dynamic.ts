// Dynamic sparse training: the mask changes while the sparse network trains.
//   SET  (Mocanu et al., Nature Communications 2018; dcmocanu/sparse-evolutionary-artificial-neural-networks):
//        after every epoch, per layer, remove the fraction ζ = 0.3 of the negative weights closest to zero and ζ of
//        the positive ones (the SET code's largestNegative/smallestPositive thresholds), regrow as many at random
//        empty positions with fresh values from the layer's initializer.
//   RigL (Evci et al., ICML 2020; google-research/rigl, sparse_optimizers.py): every ΔT = 100 steps until T_end
//        (75% of training), after the optimizer step, per layer drop k = floor(f(t)·active) smallest |w|,
//        f(t) = α/2·(1 + cos(π t / T_end)), α = 0.3, and grow k where |∂L/∂W| of the same step's dense gradient is
//        largest among the positions not kept; grown weights and their optimizer state start at zero. Ties break
//        by index (the official code breaks them with random noise).
// A layer that is fully dense (ERK can make small layers dense) has nothing to regrow into and is left alone.
// The masks live in the layers' own storage (CSR below the sparse threshold); the dense gradient is requested
// from the layers only for the step before an update (WeightLayer.denseGradOut), into a buffer per layer that run.ts
// allocates for that step and drops after the update (no dense-sized array lives between updates). RigL changes
// a sparse layer's CSR/CSC storage in place (rigLSparseUpdate: no dense weight matrix, O(rows·cols) bytes of flags);
// rigLDenseUpdate does the same in place on dense-stored layers; rigLLayerUpdate, the mask-based twin, is the tests' reference.
import type { Sequential } from '../nn/sequential.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import type { WeightMatrix } from '../nn/weights.js';
import { initWeights, type InitKind } from '../nn/init.js';
import { orderByMagnitude } from '../prune/magnitude.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { Rng } from '../util/rng.js';

/** Kept positions of a layer (row-major indices, ascending) and their values. */
export interface LayerMask { positions: Int32Array; values: Float32Array }

export function layerMask(l: WeightLayer): LayerMask {
  const mask = l.weights.toMask(), dense = l.weights.toDense();
  const positions: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) positions.push(i);
  return { positions: Int32Array.from(positions), values: Float32Array.from(positions, (p) => dense[p]!) };
}

/** RigL's drop fraction at step t: α/2·(1 + cos(π t / T_end)). */
export function rigLDropFraction(t: number, tEnd: number, alpha: number): number {
  return (alpha / 2) * (1 + Math.cos((Math.PI * t) / tEnd));
}

/**
 * One RigL update of one layer: drop the k = floor(fraction · active) smallest |w|, grow k at the largest |grad|
 * (dense, [size]) among positions not kept after the drop (a just-dropped position may come back, at zero).
 * Returns the new kept positions (ascending), values (grown ones 0) and which positions were grown.
 */
export function rigLLayerUpdate(m: LayerMask, grad: Float32Array, fraction: number): { mask: LayerMask; grown: Set<number> } {
  const active = m.positions.length, size = grad.length;
  const k = Math.floor(fraction * active);
  if (k <= 0 || active === size) return { mask: m, grown: new Set() };
  const order = orderByMagnitude(m.values);
  const keptFlag = new Uint8Array(size);
  for (const p of m.positions) keptFlag[p] = 1;
  for (let i = 0; i < k; i++) keptFlag[m.positions[order[i]!]!] = 0;
  const grown = topGrowth(grad, keptFlag, k);
  const values = new Map<number, number>();
  m.positions.forEach((p, i) => { if (keptFlag[p]) values.set(p, m.values[i]!); });
  for (const p of grown) keptFlag[p] = 1;
  const positions = new Int32Array(active);
  let c = 0;
  for (let p = 0; p < size; p++) if (keptFlag[p]) positions[c++] = p;
  return { mask: { positions, values: Float32Array.from(positions, (p) => values.get(p) ?? 0) }, grown };
}

/**
 * The value of rank r (0-based, ascending) of a, by quickselect (Hoare partition, middle pivot); reorders a.
 * Linear on average, where a full sort of the ~230k candidates of LeNet's first layer dominated an update.
 */
export function kthSmallest(a: Float32Array, r: number): number {
  let lo = 0, hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r]!;
  }
  return a[r]!;
}

/**
 * The k positions not flagged in `kept` with the largest |grad|, ties by lower index: the k-th largest value is
 * found first (topGrowthPositions), then positions above it and ties at it (in index order).
 */
export function topGrowth(grad: Float32Array, kept: Uint8Array, k: number): Set<number> {
  return new Set(topGrowthPositions(grad, kept, k));
}

/**
 * Adds a to the min-heap heap[0..size) of capacity k: sift up while it is not full, else (a above the root)
 * replace the root and sift down. Returns the new size.
 */
function heapPush(heap: Float32Array, size: number, k: number, a: number): number {
  if (size < k) {
    let i = size++;
    while (i > 0) { const up = (i - 1) >> 1; if (!(heap[up]! > a)) break; heap[i] = heap[up]!; i = up; }
    heap[i] = a;
    return size;
  }
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= k) break;
    const m = l + 1 < k && heap[l + 1]! < heap[l]! ? l + 1 : l;
    if (!(heap[m]! < a)) break;
    heap[i] = heap[m]!; i = m;
  }
  heap[i] = a;
  return size;
}

/**
 * topGrowth's positions, ascending, as an array. The k-th largest candidate magnitude comes from a min-heap of the k
 * largest seen so far: one pass in which most candidates cost one comparison with the heap's root (k ≪ candidates
 * in RigL), where a quickselect over all ~230k candidates of LeNet's first layer dominated an update.
 */
export function topGrowthPositions(grad: Float32Array, kept: Uint8Array, k: number): Int32Array {
  if (k <= 0) return new Int32Array(0);
  const heap = new Float32Array(k);  // min-heap of the k largest magnitudes so far
  let size = 0, p = 0, nan = false;
  const len = grad.length;
  for (; p < len && size < k; p++) if (!kept[p]) { const a = Math.abs(grad[p]!); nan ||= a !== a; size = heapPush(heap, size, k, a); }
  const filled = p;
  // The heap is full: the hot loop compares each magnitude with the root held in a local (a NaN never beats it) and
  // reads the kept flag only for the few that do: about 2× faster over LeNet's 235k first-layer positions. The
  // positions pushed here are recorded (a few thousand of LeNet's 235k), so that the final pass reads only them.
  let root = heap[0]!, pushed = new Int32Array(Math.max(16, 4 * k)), np = 0;
  for (; p < len; p++) {
    const a = Math.abs(grad[p]!);
    if (a > root && !kept[p]) {
      heapPush(heap, size, k, a); root = heap[0]!;
      if (np === pushed.length) { const grown = new Int32Array(2 * np); grown.set(pushed); pushed = grown; }
      pushed[np++] = p;
    }
  }
  k = size;  // fewer candidates than k: all of them
  const out = new Int32Array(k);
  if (k === 0) return out;
  // The k-th largest magnitude; every candidate above it is in the heap, so the heap counts them.
  const thr = heap[0]!;
  let above = 0;
  for (let i = 0; i < k; i++) if (heap[i]! > thr) above++;
  let ties = k - above, n = 0;
  const take = (p: number): void => {
    const a = Math.abs(grad[p]!);
    if (!(a >= thr) || kept[p]) return;
    if (a > thr || ties-- > 0) out[n++] = p;
  };
  if (nan) {  // a NaN in the heap voids its order: every position again
    for (let p = 0; p < len && n < k; p++) take(p);
  } else {
    // Without NaN the root only rises to thr, so every free position above thr after the fill was pushed; a tie at thr
    // that was not pushed came after k heap entries ≥ thr, of which at least `ties` are earlier ties at thr (all
    // pushed): the positions taken are those of the full pass, in the same (ascending) order.
    for (let p = 0; p < filled && n < k; p++) take(p);
    for (let i = 0; i < np && n < k; i++) take(pushed[i]!);
  }
  if (n < k) {  // only with NaN gradients: the lowest free positions make up the count
    const taken = new Uint8Array(grad.length);
    for (let i = 0; i < n; i++) taken[out[i]!] = 1;
    for (let p = 0; p < grad.length && n < k; p++) if (!kept[p] && !taken[p]) { taken[p] = 1; n++; }
    n = 0;
    for (let p = 0; p < grad.length; p++) if (taken[p]) out[n++] = p;
  }
  return out;
}

// The rows·cols kept flags of rigLSparseUpdate, reused across updates (zeroed, not allocated, each time: a fresh
// 235 KB array per LeNet layer-1 update cost more than clearing it).
let keptScratch = new Uint8Array(0);
function keptFlags(size: number): Uint8Array {
  if (keptScratch.length < size) keptScratch = new Uint8Array(size);
  const k = keptScratch.subarray(0, size);
  k.fill(0);
  return k;
}

/**
 * One RigL update of a sparse-stored layer, in place on its CSR/CSC storage (no dense weight matrix): the same
 * drop and growth as rigLLayerUpdate — the k = floor(fraction · nnz) smallest |w| (ties by position) leave, the k
 * largest |grad| among positions not kept after the drop join at zero. `grad` is the dense [rows × cols] gradient.
 * Returns the new-to-old nonzero index map (−1 = grown), or null when nothing changed.
 */
export function rigLSparseUpdate(w: WeightMatrix, grad: Float32Array, fraction: number): Int32Array | null {
  const csr = w.csr();
  if (!csr) throw new Error('rigLSparseUpdate: the layer is stored dense');
  const { rowPtr, colIdx, values } = csr;
  const active = w.nnz, size = w.rows * w.cols;
  const k = Math.floor(fraction * active);
  if (k <= 0 || active === size) return null;
  // The k smallest |w|: the k-th magnitude by quickselect, then those below it and ties at it in CSR (= position) order.
  const mags = new Float32Array(active);
  for (let q = 0; q < active; q++) mags[q] = Math.abs(values[q]!);
  const thr = kthSmallest(mags, k - 1);
  let below = 0;
  for (let q = 0; q < active; q++) if (Math.abs(values[q]!) < thr) below++;
  let ties = k - below;
  const drop = new Uint8Array(active), kept = keptFlags(size);
  let dropped = 0;  // k, unless NaN weights (never below a threshold) keep some
  for (let r = 0; r < w.rows; r++) {
    for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) {
      const a = Math.abs(values[q]!);
      if (a < thr || (a === thr && ties-- > 0)) { drop[q] = 1; dropped++; }
      else kept[r * w.cols + colIdx[q]!] = 1;
    }
  }
  return w.updateSparsity(drop, topGrowthPositions(grad, kept, dropped));
}

/**
 * rigLLayerUpdate on a dense-stored layer with a mask (ERK makes small layers dense-stored), in place on its value
 * array and mask: the same drop (orderByMagnitude over the kept values, position order) and growth (topGrowthPositions),
 * grown and dropped weights at 0. Rebuilding the layer from a LayerMask (layerMask, installMask, slotMap: Sets,
 * Maps and copies of every array) took ~0.7 ms per update for LeNet's 10 × 100 output layer. Returns the slot map
 * (position → old position, −1 for grown or not kept; dense slots are positions), or null when nothing changed.
 */
export function rigLDenseUpdate(w: WeightMatrix, grad: Float32Array, fraction: number): Int32Array | null {
  if (w.storage !== 'dense') throw new Error('rigLDenseUpdate: the layer is stored sparse');
  const mask = w.mask, value = w.value, size = w.rows * w.cols;
  if (!mask) return null;  // every weight kept: nothing to regrow into
  let active = 0;
  for (let p = 0; p < size; p++) active += mask[p] ? 1 : 0;
  const k = Math.floor(fraction * active);
  if (k <= 0 || active === size) return null;
  const positions = new Int32Array(active), kv = new Float32Array(active);
  for (let p = 0, j = 0; p < size; p++) if (mask[p]) { positions[j] = p; kv[j++] = value[p]!; }
  const order = orderByMagnitude(kv);
  const kept = mask.slice();
  for (let i = 0; i < k; i++) kept[positions[order[i]!]!] = 0;
  const grown = topGrowthPositions(grad, kept, k);
  const from = new Int32Array(size);
  for (let p = 0; p < size; p++) from[p] = kept[p] ? p : -1;
  for (let i = 0; i < k; i++) { const p = positions[order[i]!]!; mask[p] = 0; value[p] = 0; }
  for (const p of grown) { mask[p] = 1; value[p] = 0; from[p] = -1; }
  return from;
}

/**
 * One SET update of one layer: remove floor(ζ·negatives) negative weights closest to zero and floor(ζ·positives)
 * positive ones (zero counts as positive), regrow as many at uniformly random empty positions (a just-removed
 * position may come back) with values from `fresh`. Returns the new mask and the regrown positions.
 */
export function setLayerUpdate(m: LayerMask, size: number, zeta: number, rng: Rng, fresh: (k: number) => Float32Array): { mask: LayerMask; grown: Set<number> } {
  if (m.positions.length === size) return { mask: m, grown: new Set() };
  const neg: number[] = [], pos: number[] = [];
  m.values.forEach((v, i) => (v < 0 ? neg : pos).push(i));
  neg.sort((a, b) => m.values[b]! - m.values[a]! || a - b); // closest to zero first
  pos.sort((a, b) => m.values[a]! - m.values[b]! || a - b);
  const drop = new Set<number>([...neg.slice(0, Math.floor(zeta * neg.length)), ...pos.slice(0, Math.floor(zeta * pos.length))].map((i) => m.positions[i]!));
  const kept = new Map<number, number>();
  m.positions.forEach((p, i) => { if (!drop.has(p)) kept.set(p, m.values[i]!); });
  const k = drop.size, values = fresh(k), grown = new Set<number>();
  // Rejection sampling among the positions not kept: there are at least k of them (the dropped ones).
  while (grown.size < k) {
    const p = rng.int(size);
    if (!kept.has(p) && !grown.has(p)) grown.add(p);
  }
  let gi = 0;
  for (const p of grown) kept.set(p, values[gi++]!);
  const positions = Int32Array.from([...kept.keys()].sort((a, b) => a - b));
  return { mask: { positions, values: Float32Array.from(positions, (p) => kept.get(p)!) }, grown };
}

/** Installs new masks in the model's layers (storage chosen again from the density). */
export function installMasks(model: Sequential, masks: ReadonlyArray<LayerMask | null>): void {
  model.weightLayers().forEach((l, i) => { const m = masks[i]; if (m) installMask(l, m); });
}

/** Installs a new mask in one layer (storage chosen again from the density); the bias is kept. */
export function installMask(l: WeightLayer, m: LayerMask): void {
  const size = l.weights.rows * l.weights.cols;
  const dense = new Float32Array(size), mask = new Uint8Array(size);
  m.positions.forEach((p, j) => { dense[p] = m.values[j]!; mask[p] = 1; });
  const bias = Float32Array.from(l.bias);
  l.setWeights(dense, mask);
  l.bias.set(bias);
}

/**
 * For each slot of a layer's value array after a mask change, the slot its weight had before, or −1 (a grown
 * weight, or a position not kept: its state starts at zero). Slots are positions for dense storage, the CSR order
 * (= ascending positions) for sparse: the order the optimizer hands its state out in (Param.layout), whatever order a
 * sparse layer stores its values in.
 */
export function slotMap(before: { storage: 'dense' | 'sparse'; mask: LayerMask }, after: { storage: 'dense' | 'sparse'; size: number; mask: LayerMask; grown: Set<number> }): Int32Array {
  const old = new Int32Array(after.size).fill(-1);
  before.mask.positions.forEach((p, j) => { old[p] = before.storage === 'dense' ? p : j; });
  const from = new Int32Array(after.storage === 'dense' ? after.size : after.mask.positions.length).fill(-1);
  after.mask.positions.forEach((p, j) => { from[after.storage === 'dense' ? p : j] = after.grown.has(p) ? -1 : old[p]!; });
  return from;
}

/**
 * Moves optimizer state (buffers per parameter, in model.params() order: weight then bias per weight layer)
 * from the old masks to the new: a kept weight keeps its state, a grown one starts at zero.
 */
export function remapOptimizerState(state: OptimizerState, before: Array<{ storage: 'dense' | 'sparse'; mask: LayerMask }>,
  after: Array<{ storage: 'dense' | 'sparse'; size: number; mask: LayerMask; grown: Set<number> }>): OptimizerState {
  return remapOptimizerSlots(state, after.map((a, l) => slotMap(before[l]!, a)));
}

/**
 * Moves optimizer state by slot maps, one per weight layer (null: unchanged): new slot j of layer l takes old slot
 * from[l][j], or zero where that is −1. Bias state is untouched.
 */
export function remapOptimizerSlots(state: OptimizerState, from: ReadonlyArray<Int32Array | null>): OptimizerState {
  const per = state.buffers.length / (2 * from.length);
  const buffers = state.buffers.slice();
  from.forEach((f, l) => {
    if (!f) return;
    for (let k = 0; k < per; k++) {
      const old = state.buffers[per * 2 * l + k]!, fresh = new Float32Array(f.length);
      for (let j = 0; j < f.length; j++) { const i = f[j]!; if (i >= 0) fresh[j] = old[i]!; }
      buffers[per * 2 * l + k] = fresh;
    }
  });
  return { step: state.step, buffers };
}

/** Fresh values for regrown weights from a layer's initializer. */
export function freshValues(l: WeightLayer, init: InitKind, rng: Rng): (k: number) => Float32Array {
  return (k) => { const out = new Float32Array(k); const { fanIn, fanOut } = l.fans(); initWeights(out, init, fanIn, fanOut, rng); return out; };
}
