// Turning raw samples into Splits: byte pixels → float32 in [0, 1], and the held-out validation
// split carved from the training set with a seeded shuffle (Rng stream 'split'), as in the LTH
// protocol (5,000 of MNIST's 60,000 training images held out for early stopping).
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import type { Split } from './dataset.js';

/** Samples before conversion: [count × features] bytes (0..255) or floats already in [0, 1]. */
export interface RawSamples {
  readonly pixels: Uint8Array | Float32Array;
  readonly labels: Uint8Array | Int32Array;
  readonly count: number;
  readonly features: number;
}

// i/255 rounded once to float32, so every path (and every platform) gives the same values.
const BYTE_TO_UNIT = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/** Copies rows `rows` (in that order) of `src` into a new Split. */
export function gatherSplit(src: RawSamples, rows: Int32Array | null): Split {
  const n = rows ? rows.length : src.count;
  const f = src.features;
  const images = new Float32Array(n * f);
  const labels = new Int32Array(n);
  const px = src.pixels;
  if (px instanceof Uint8Array) {
    const lut = BYTE_TO_UNIT;
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[i]! : i;
      const s = r * f, d = i * f;
      for (let j = 0; j < f; j++) images[d + j] = lut[px[s + j]!]!;
      labels[i] = src.labels[r]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[i]! : i;
      images.set(px.subarray(r * f, (r + 1) * f), i * f);
      labels[i] = src.labels[r]!;
    }
  }
  return { images, labels, count: n };
}

/** Checks a requested validation size against the training count. */
export function checkValidationSize(validationSize: number, trainCount: number, dataset: string): void {
  if (!Number.isInteger(validationSize) || validationSize < 0) {
    throw new UserError(`${dataset}: validation size must be a whole number >= 0, got ${validationSize}`);
  }
  if (validationSize >= trainCount) {
    throw new UserError(`${dataset}: validation size ${validationSize} leaves no training data (the training set has ${trainCount} examples)`);
  }
}

/**
 * Carves `validationSize` examples out of the training samples, walking a permutation drawn from
 * `new Rng(seed).stream('split')`. Plain: the first `validationSize` of the permutation. Stratified
 * (used for the small sets, where chance imbalance is large): each class gets its share by largest
 * remainder, taken in permutation order. Both parts keep the original file order, so
 * validationSize = 0 gives the training set exactly as stored.
 */
export function carveValidation(train: RawSamples, validationSize: number, seed: number, dataset: string,
  opts: { stratified?: boolean; classes?: number } = {}): { train: Split; validation: Split } {
  checkValidationSize(validationSize, train.count, dataset);
  const perm = new Rng(seed).stream('split').permutation(train.count);
  const held = new Uint8Array(train.count);
  if (opts.stratified && validationSize > 0) {
    const quota = stratifiedQuotas(classCounts(train.labels, opts.classes ?? maxLabel(train.labels) + 1), validationSize);
    for (let i = 0; i < train.count; i++) {
      const r = perm[i]!, c = train.labels[r]!;
      if (quota[c]! > 0) { quota[c]!--; held[r] = 1; }
    }
  } else {
    for (let i = 0; i < validationSize; i++) held[perm[i]!] = 1;
  }
  const valRows = new Int32Array(validationSize), trainRows = new Int32Array(train.count - validationSize);
  let v = 0, t = 0;
  for (let i = 0; i < train.count; i++) {
    if (held[i]) valRows[v++] = i; else trainRows[t++] = i;
  }
  return { train: gatherSplit(train, trainRows), validation: gatherSplit(train, valRows) };
}

/** Splits `total` across classes in proportion to `counts` (largest remainder; ties → lower class). */
export function stratifiedQuotas(counts: readonly number[], total: number): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (c * total) / n);
  const quota = exact.map(Math.floor);
  let left = total - quota.reduce((a, b) => a + b, 0);
  const order = exact.map((e, k) => ({ k, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.k - b.k);
  for (const { k } of order) {
    if (left === 0) break;
    quota[k]!++;
    left--;
  }
  return quota;
}

function maxLabel(labels: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
}

/** Per-class counts of a split's labels. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const out = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) { const c = labels[i]!; out[c] = (out[c] ?? 0) + 1; }
  return out;
}
