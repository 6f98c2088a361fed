// GPTQ's quantizer on a winnow integer format (src/quant/formats.ts): the grid of every segment (a row for
// *-channel, a group of 128 consecutive values of the row-major matrix for *-group) is fixed from the
// weights before the pass (per channel as gptq.py's find_params(W); per group as its --static-groups),
// with the scale rounded to its stored precision, so the file stores exactly the grid GPTQ rounded onto.
// Rounding per value is the format's own: symmetric q = clamp(RNE(w/s), ±qmax), asymmetric
// q = clamp(RNE(w/s) + z, 0, 2^b − 1).
import { intGrid, type FormatName, type IntGrid, type IntGridValues } from '../quant/formats.js';
import { rne } from '../quant/minifloat.js';
import { UserError } from '../util/errors.js';
import type { ColumnQuantizer } from './obs.js';

export interface FixedGrid { grid: IntGrid; values: IntGridValues; rows: number; cols: number }

/** The integer grid of a format, or a UserError naming the flag. */
export function gptqGrid(format: FormatName, flag = '--format'): IntGrid {
  const g = intGrid(format);
  if (!g) throw new UserError(`${flag} ${format}: GPTQ rounds onto an integer grid; expected one of int8-channel, int8-channel-asym, int8-group, int8-group-asym, int4-channel, int4-channel-asym, int4-group, int4-group-asym`);
  return g;
}

function segments(g: IntGrid, rows: number, cols: number): number { return g.per === 'channel' ? rows : Math.ceil((rows * cols) / g.group); }
function segmentOf(g: IntGrid, r: number, j: number, cols: number): number { return g.per === 'channel' ? r : Math.floor((r * cols + j) / g.group); }

/** Scales (and zero points) of every segment, from W as the format's RTN would choose them for a dense matrix. */
export function fixGrid(g: IntGrid, w: Float64Array, rows: number, cols: number): FixedGrid {
  const n = segments(g, rows, cols);
  const amax = new Float64Array(n), lo = new Float64Array(n), hi = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const k = segmentOf(g, r, j, cols), x = Math.fround(w[r * cols + j]!);
      if (!Number.isFinite(x)) continue;
      if (Math.abs(x) > amax[k]!) amax[k] = Math.abs(x);
      if (x < lo[k]!) lo[k] = x;
      if (x > hi[k]!) hi[k] = x;
    }
  }
  const scale = new Float64Array(n), zero = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (!g.asym) { scale[k] = g.roundScale(amax[k]! / g.qmax); continue; }
    const s = g.roundScale((hi[k]! - lo[k]!) / g.umax);
    scale[k] = s;
    zero[k] = s === 0 ? 0 : Math.min(g.umax, Math.max(0, rne(-lo[k]! / s)));
  }
  return { grid: g, values: g.asym ? { scale, zero } : { scale }, rows, cols };
}

/** One value on segment k's grid (the dequantized value the file will hold, before float32 rounding). */
export function roundOnGrid(f: FixedGrid, k: number, x: number): number {
  const g = f.grid, s = f.values.scale[k]!;
  if (s === 0 || Number.isNaN(x)) return 0;
  if (!g.asym) return Math.min(g.qmax, Math.max(-g.qmax, rne(x / s))) * s;
  const z = f.values.zero![k]!;
  return (Math.min(g.umax, Math.max(0, rne(x / s) + z)) - z) * s;
}

export function columnQuantizer(f: FixedGrid): ColumnQuantizer {
  return (w, j, out) => {
    for (let r = 0; r < f.rows; r++) out[r] = roundOnGrid(f, segmentOf(f.grid, r, j, f.cols), w[r]!);
  };
}
