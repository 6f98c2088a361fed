// Per-layer density budgets for a target overall density (fraction of all weight-layer weights kept).
//   uniform: every layer at the target density.
//   erk:     Erdős–Rényi-Kernel (Evci et al., ICML 2020, `rigl/sparse_utils.py`, erk_power_scale 1): a layer's
//            density ∝ (n_in + n_out + k_h + k_w)/(n_in·n_out·k_h·k_w) for a conv kernel, (n_in + n_out)/(n_in·n_out)
//            for a dense layer, scaled so the kept count meets the target; a layer whose density would exceed 1 is
//            made dense and the rest rescaled (repeated until no layer exceeds 1). For fully connected layers this
//            is Mocanu et al.'s Erdős–Rényi graph (SET), P(edge) = ε·(n_in + n_out)/(n_in·n_out), with ε solved from
//            the target density instead of fixed (the SET code's ε = 20).
import { UserError } from '../util/errors.js';

export const DISTRIBUTIONS = ['erk', 'uniform'] as const;
export type Distribution = typeof DISTRIBUTIONS[number];

/** A weight layer as the budgets see it: weights [outChannels × inChannels·kernel²] (kernel 1 for a dense layer). */
export interface BudgetLayer { name: string; outChannels: number; inChannels: number; kernel: number }

export const layerSize = (l: BudgetLayer): number => l.outChannels * l.inChannels * l.kernel * l.kernel;

/** The ERK raw probability of a layer: the sum of its kernel's dimensions over their product. */
export function erkRaw(l: BudgetLayer): number {
  const dims = l.kernel > 1 ? [l.outChannels, l.inChannels, l.kernel, l.kernel] : [l.outChannels, l.inChannels];
  return dims.reduce((a, b) => a + b, 0) / dims.reduce((a, b) => a * b, 1);
}

/** Per-layer densities (each in (0, 1]) whose weighted mean is `density`. */
export function layerDensities(layers: readonly BudgetLayer[], density: number, distribution: Distribution): number[] {
  if (!(density > 0 && density <= 1)) throw new UserError(`--density: expected a number in (0, 1], got ${density}`);
  if (distribution === 'uniform' || density === 1) return layers.map(() => density);
  const dense = new Set<number>();
  for (;;) {
    let rhs = 0, divisor = 0;
    layers.forEach((l, i) => {
      const n = layerSize(l);
      if (dense.has(i)) rhs -= n * (1 - density);
      else { rhs += n * density; divisor += erkRaw(l) * n; }
    });
    const eps = rhs / divisor;
    let maxRaw = 0;
    layers.forEach((l, i) => { if (!dense.has(i)) maxRaw = Math.max(maxRaw, erkRaw(l)); });
    if (maxRaw * eps <= 1) return layers.map((l, i) => dense.has(i) ? 1 : eps * erkRaw(l));
    layers.forEach((l, i) => { if (!dense.has(i) && erkRaw(l) === maxRaw) dense.add(i); });
  }
}

/** Kept weights per layer: round(density · size), at least 1. */
export function layerCounts(layers: readonly BudgetLayer[], densities: readonly number[]): number[] {
  return layers.map((l, i) => Math.max(1, Math.min(layerSize(l), Math.round(densities[i]! * layerSize(l)))));
}
