// The IMP ladder of the study's lottery run: layer-wise iterative magnitude pruning (Frankle & Carbin 2019)
// removes the fraction r of each fc/conv layer's remaining weights per level and r/2 of the output layer's (the
// LTH LeNet rates are 20% and 10%). A fixed r = 0.2 passes 5% and 2% between levels, so the study solves r:
// the smallest density lands exactly (to the weight) on a level, and the others on the nearest level, with the
// number of levels chosen (from about 20% per level on, fewer levels first) so that every density is within 1% of its level's. The
// kept counts are simulated with the same rounding as pruneLayerwise (round(rate · remaining) per layer).

export interface ImpLayer { size: number; isOutput: boolean }
export interface ImpLadder { rate: number; outputRate: number; levels: number; levelOf: Map<number, number>; densityAt: number[] }

/** Overall density after each level 0…levels at rate r (output layer r/2), rounding as the pruner does. */
export function impDensities(layers: readonly ImpLayer[], rate: number, levels: number): number[] {
  const total = layers.reduce((s, l) => s + l.size, 0);
  const kept = layers.map((l) => l.size);
  const out = [1];
  for (let n = 1; n <= levels; n++) {
    layers.forEach((l, i) => { kept[i] = kept[i]! - Math.round((l.isOutput ? rate / 2 : rate) * kept[i]!); });
    out.push(kept.reduce((a, b) => a + b, 0) / total);
  }
  return out;
}

function nearestLevel(dens: readonly number[], d: number): number {
  let best = 1;
  for (let n = 1; n < dens.length; n++) if (Math.abs(Math.log(dens[n]! / d)) < Math.abs(Math.log(dens[best]! / d))) best = n;
  return best;
}

export function impLadder(layers: readonly ImpLayer[], densities: readonly number[]): ImpLadder {
  const targets = densities.filter((d) => d < 1);
  if (targets.length === 0) return { rate: 0, outputRate: 0, levels: 0, levelOf: new Map(), densityAt: [1] };
  const dmin = Math.min(...targets);
  const first = Math.max(1, Math.floor(Math.log(dmin) / Math.log(0.8)));
  let best: { ladder: ImpLadder; err: number } | null = null;
  for (let levels = first; levels <= first + 12; levels++) {
    // Bisection on r: the density after `levels` levels falls as r grows.
    let lo = 0, hi = 0.99;
    for (let it = 0; it < 60; it++) { const mid = (lo + hi) / 2; if (impDensities(layers, mid, levels)[levels]! > dmin) lo = mid; else hi = mid; }
    const rate = hi, dens = impDensities(layers, rate, levels);
    const levelOf = new Map(targets.map((d) => [d, nearestLevel(dens, d)] as [number, number]));
    const err = Math.max(...targets.map((d) => Math.abs(dens[levelOf.get(d)!]! / d - 1)));
    const ladder = { rate, outputRate: rate / 2, levels, levelOf, densityAt: dens };
    if (!best || err < best.err) best = { ladder, err };
    if (err <= 0.01) break;
  }
  return best!.ladder;
}
