// Speciation (paper §3.3): compatibility distance δ = c1·E/N + c2·D/N + c3·W̄, first-fit assignment
// against representatives from the previous generation, fixed δt or δt adjusted toward a target number
// of species.
import type { NeatConfig } from './config.js';
import type { Genome } from './genome.js';
import type { Rng } from '../util/rng.js';

export interface DistanceParts {
  excess: number;
  disjoint: number;
  matching: number;
  meanWeightDiff: number;
  n: number;
  distance: number;
}

export function compatibility(a: Genome, b: Genome, cfg: NeatConfig['compatibility']): DistanceParts {
  const ca = a.conns, cb = b.conns;
  let i = 0, j = 0, matching = 0, disjoint = 0, excess = 0, wdiff = 0;
  const maxA = ca.length ? ca[ca.length - 1]!.innovation : -1;
  const maxB = cb.length ? cb[cb.length - 1]!.innovation : -1;
  while (i < ca.length || j < cb.length) {
    if (i >= ca.length) { // remaining b genes
      if (cb[j]!.innovation > maxA) excess++; else disjoint++;
      j++;
    } else if (j >= cb.length) {
      if (ca[i]!.innovation > maxB) excess++; else disjoint++;
      i++;
    } else {
      const ia = ca[i]!.innovation, ib = cb[j]!.innovation;
      if (ia === ib) { matching++; wdiff += Math.abs(ca[i]!.weight - cb[j]!.weight); i++; j++; }
      else if (ia < ib) { disjoint++; i++; }
      else { disjoint++; j++; }
    }
  }
  const larger = Math.max(ca.length, cb.length);
  const n = larger < cfg.normalizeMinGenes ? 1 : larger;
  const meanWeightDiff = matching ? wdiff / matching : 0;
  const distance = (cfg.c1 * excess) / n + (cfg.c2 * disjoint) / n + cfg.c3 * meanWeightDiff;
  return { excess, disjoint, matching, meanWeightDiff, n, distance };
}

export interface Species {
  id: number;
  /** Generation the species was founded. */
  created: number;
  representative: Genome;
  members: Genome[];
  /** Best raw fitness ever reached by a member. */
  bestFitness: number;
  /** Generation at which bestFitness last improved. */
  lastImproved: number;
  /** Its champion was given the task's champion check since the species last improved (C++ pole2_epoch). */
  checked: boolean;
}

/**
 * First-fit speciation: each genome joins the first species (in order of creation) whose representative
 * is within δt; otherwise it founds a new one. Representatives come from the previous generation
 * (chosen by chooseRepresentatives). Species left empty are removed.
 */
export function speciate(pop: Genome[], species: Species[], threshold: number, cfg: NeatConfig, generation: number, nextSpeciesId: { value: number }): Species[] {
  for (const s of species) s.members = [];
  for (const g of pop) {
    let placed = false;
    for (const s of species) {
      if (compatibility(g, s.representative, cfg.compatibility).distance < threshold) {
        s.members.push(g);
        placed = true;
        break;
      }
    }
    if (!placed) {
      species.push({ id: nextSpeciesId.value++, created: generation, representative: g, members: [g], bestFitness: -Infinity, lastImproved: generation, checked: false });
    }
  }
  return species.filter((s) => s.members.length > 0);
}

/** Pick each species' representative for the next generation from its current members. */
export function chooseRepresentatives(species: Species[], cfg: NeatConfig, rng: Rng): void {
  for (const s of species) {
    if (s.members.length === 0) continue;
    if (cfg.representative === 'random') s.representative = s.members[rng.int(s.members.length)]!;
    else s.representative = bestOf(s.members);
  }
}

export function bestOf(members: Genome[]): Genome {
  let best = members[0]!;
  for (const g of members) if (g.fitness > best.fitness) best = g;
  return best;
}

/** δt moved toward targetSpecies (when set). */
export function adjustThreshold(threshold: number, speciesCount: number, cfg: NeatConfig): number {
  const t = cfg.compatibility.targetSpecies;
  if (t === null) return threshold;
  if (speciesCount < t) threshold -= cfg.compatibility.thresholdStep;
  else if (speciesCount > t) threshold += cfg.compatibility.thresholdStep;
  return Math.max(cfg.compatibility.thresholdMin, threshold);
}
