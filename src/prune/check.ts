// Masks that destroy the experiment: a layer left with no weights computes a constant, and a layer most
// of whose units lost every input barely computes anything. pruning/masking code reports these as
// warnings (maskWarnings) or refuses them outright (assertKeptWeights); docs/LIMITS.md.
import { UserError } from '../util/errors.js';

export interface MaskedLayer {
  name: string;
  /** Row-major [rows × cols] keep mask (1 = kept). */
  mask: Uint8Array;
  /** Output units (rows of the weight matrix). */
  rows: number;
  /** True for the logits layer: a class with no inputs left is always warned about. */
  isOutput?: boolean;
}

export interface MaskStats { name: string; kept: number; total: number; rows: number; deadUnits: number }

/** Kept weights and units with no kept input, per layer. */
export function maskStats(layers: readonly MaskedLayer[]): MaskStats[] {
  return layers.map((l) => {
    const total = l.mask.length, rows = Math.max(1, l.rows), cols = Math.floor(total / rows);
    let kept = 0, deadUnits = 0;
    for (let r = 0; r < rows; r++) {
      let k = 0;
      for (let c = 0; c < cols; c++) k += l.mask[r * cols + c]! ? 1 : 0;
      kept += k;
      if (k === 0) deadUnits++;
    }
    return { name: l.name, kept, total, rows, deadUnits };
  });
}

/**
 * One line per layer whose mask ruins the network: no weights kept, more than half of its units with no
 * input, or (output layer) any class with no input. Empty when the masks are usable.
 */
export function maskWarnings(layers: readonly MaskedLayer[], context = 'mask'): string[] {
  const out: string[] = [];
  maskStats(layers).forEach((s, i) => {
    const density = s.total ? s.kept / s.total : 0;
    if (s.kept === 0) {
      out.push(`${context}: layer ${s.name} keeps 0 of ${s.total} weights: its output is constant and the network cannot learn through it (density too low)`);
    } else if (s.deadUnits * 2 > s.rows || (layers[i]!.isOutput && s.deadUnits > 0)) {
      out.push(`${context}: layer ${s.name} keeps ${s.kept} of ${s.total} weights (density ${density.toPrecision(3)}): ${s.deadUnits} of its ${s.rows} units have no input left, so accuracy will collapse (density too low)`);
    }
  });
  return out;
}

/** Throws a UserError naming the first layer whose mask keeps no weight at all. */
export function assertKeptWeights(masks: Record<string, Uint8Array>, context: string): void {
  for (const [name, m] of Object.entries(masks)) {
    if (m.length === 0) continue;
    let kept = 0;
    for (let i = 0; i < m.length; i++) kept += m[i]! ? 1 : 0;
    if (kept === 0) throw new UserError(`${context}: layer ${name} would keep 0 of ${m.length} weights, leaving a network that cannot learn; choose a larger density`);
  }
}
