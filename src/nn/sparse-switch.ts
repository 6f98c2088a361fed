// The dense/sparse switch of a weight layer, measured on the machine at hand.
//
// A layer stored sparse costs spmm + sparseBackward (spmmT and sddmm fused) per training step, ≈ a + b·density; stored dense it
// costs three GEMMs, independent of the density. Where the two meet depends on the core (vector width,
// cache sizes, GEMM efficiency) and on the shape: bench/kernels measured the LeNet-300-100 layer-1
// break-even at 17% on one machine and 24–35% on another, against the fixed 30% used before.
//
// measuredSparseSwitch(be, batch) returns a SparseSwitch: for each layer shape (rows × cols, n = batch ×
// output positions columns per step) it times, on `be`, the dense step once and the sparse step at two
// densities (5% and 40%, same random mask per density), fits the line through them and returns the
// density where it crosses the dense time (clamped to [0, 1]). A shape costs a few milliseconds to
// calibrate; conv layers (huge n) are timed at n ≤ 256, where both costs are already linear in n.
// A layer that reads the model's input is timed as the trainer runs it: without the input gradient (dense: two
// GEMMs; sparse: spmm + sddmm), and a Linear one with its input rows at the padded stride (Sequential.inputStride).
//
// Results are cached per process and on disk, in `$XDG_CACHE_HOME/winnow/sparse-switch.json` (or
// ~/.cache/winnow), keyed by backend, ISA, CPU model, shape and role, so a machine measures each layer once and
// later runs reuse the same choice: with the cache in place, the same seed gives identical results.
// Dense and sparse storage sum in different orders, so results may differ between machines whose switch
// falls on different sides of a layer's density; runs that must match stored results bit for bit pass
// a fixed threshold (the lottery experiment records its --sparse-threshold, 0.3 by default).
// The reference backend is not measured (its timings say nothing about native kernels): it gets
// DEFAULT_SPARSE_THRESHOLD.
import { cpus } from 'node:os';
import type { Backend } from '../backend/backend.js';
import { cscIndex } from '../backend/csc.js';
import { DEFAULT_SPARSE_THRESHOLD, type SparseSwitch } from './weights.js';
import { paddedStride } from './layer.js';
import { measurementCacheFile, readMeasurementCache, writeMeasurementCache } from '../util/measurement-cache.js';

export interface SwitchOptions {
  /** Cache file; null: no disk cache. Default `$XDG_CACHE_HOME/winnow/sparse-switch.json`. */
  cacheFile?: string | null;
  /** Clock in seconds (tests inject one). */
  now?: () => number;
  /** Measure even for the reference backend (tests). */
  measureReference?: boolean;
}

// The cache key's version: 2 since the sparse step is timed on the prepared index (prepareSparse), as layers now run it;
// 3 since sparse layers that compute dX keep their values in CSC order (a faster backward, a slightly slower forward).
const FORMAT = 3;
const LOW = 0.05, HIGH = 0.4;  // the two densities the sparse step is timed at
const MAX_N = 256;             // calibration columns cap (conv layers)
const memo = new Map<string, number>();

export function defaultSwitchCacheFile(): string { return measurementCacheFile('sparse-switch.json'); }

/** A per-layer threshold measured on `be` for training at batch size `batch`. */
export function measuredSparseSwitch(be: Backend, batch: number, opts: SwitchOptions = {}): SparseSwitch {
  if (be.name === 'reference' && !opts.measureReference) return () => DEFAULT_SPARSE_THRESHOLD;
  const cacheFile = opts.cacheFile === undefined ? defaultSwitchCacheFile() : opts.cacheFile;
  const now = opts.now ?? (() => Number(process.hrtime.bigint()) / 1e9);
  const machine = `${be.name}/${be.detail}/${cpus()[0]?.model ?? 'unknown'}`;
  return ({ rows, cols, colsPerSample, input }) => {
    const n = Math.max(1, Math.min(MAX_N, batch * colsPerSample));
    const ldx = input && colsPerSample === 1 ? paddedStride(n) : n;
    const key = `v${FORMAT} ${machine} ${rows}x${cols} n=${n}${input ? ` input ldx=${ldx}` : ''}`;
    const hit = memo.get(key) ?? (cacheFile ? readMeasurementCache(cacheFile)[key] : undefined);
    if (typeof hit === 'number' && hit >= 0 && hit <= 1) { memo.set(key, hit); return hit; }
    const t = breakEven(be, rows, cols, n, now, input ? { ldx } : null);
    memo.set(key, t);
    if (cacheFile) writeMeasurementCache(cacheFile, key, t);
    return t;
  };
}

/** Forgets the per-process results (tests). */
export function clearSwitchMemo(): void { memo.clear(); }



/** Deterministic pseudo-random CSR at `density` (with its CSC index) and values. */
function layer(rows: number, cols: number, density: number) {
  let s = 0x9e3779b9 ^ Math.round(density * 1e6);
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const rowPtr = new Int32Array(rows + 1), idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (rnd() < density) idx.push(c);
    rowPtr[r + 1] = idx.length;
  }
  const colIdx = Int32Array.from(idx);
  const values = new Float32Array(idx.length).map(() => rnd() - 0.5);
  return { rowPtr, colIdx, ...cscIndex(rows, cols, rowPtr, colIdx), values };
}

/** Minimum seconds per call over a few timed batches (the minimum resists a busy machine). */
function minTime(fn: () => void, now: () => number): number {
  fn();
  let best = Infinity, inner = 1;
  const t0 = now();
  fn();
  const once = Math.max(now() - t0, 1e-7);
  inner = Math.max(1, Math.min(50, Math.round(2e-3 / once)));  // ≈ 2 ms per sample
  for (let r = 0; r < 5; r++) {
    const a = now();
    for (let i = 0; i < inner; i++) fn();
    best = Math.min(best, (now() - a) / inner);
  }
  return best;
}

/**
 * The density where the sparse step's time (a line through LOW and HIGH) meets the dense step's. `input`: the layer
 * reads the model's input, rows `ldx` apart: no input gradient on either side.
 */
export function breakEven(be: Backend, rows: number, cols: number, n: number, now: () => number, input: { ldx: number } | null = null): number {
  const ldx = input?.ldx ?? n;
  const x = ldx !== n && be.allocActivations ? be.allocActivations(cols * ldx) : new Float32Array(cols * ldx);
  x.fill(0.5);
  const dy = new Float32Array(rows * n).fill(0.25), y = new Float32Array(rows * n), dx = new Float32Array(cols * n);
  const w = new Float32Array(rows * cols).fill(0.01), dW = new Float32Array(rows * cols);
  const dense = minTime(() => {
    be.gemm(false, false, rows, n, cols, 1, w, cols, x, ldx, 0, y, n);
    if (!input) be.gemm(true, false, cols, n, rows, 1, w, cols, dy, n, 0, dx, n);
    be.gemm(false, true, rows, cols, n, 1, dy, n, x, ldx, 0, dW, cols);
  }, now);
  const sparseAt = (d: number): number => {
    const l = layer(rows, cols, d), g = new Float32Array(l.values.length);
    const p = be.prepareSparse(rows, cols, l.rowPtr, l.colIdx, l.colPtr, l.rowIdx, l.perm, input ? 'csr' : 'csc');  // as WeightMatrix runs it
    return minTime(() => {
      p.spmm(l.values, x, n, y, ldx);
      if (input) p.sddmm(dy, x, n, g, ldx);
      else p.backward(l.values, dy, x, n, dx, g);
    }, now);
  };
  const lo = sparseAt(LOW), hi = sparseAt(HIGH);
  const slope = (hi - lo) / (HIGH - LOW);
  if (!(slope > 0)) return lo < dense ? 1 : 0;
  const t = LOW + (dense - lo) / slope;
  return Math.min(1, Math.max(0, t));
}
