// Reproduction (paper §3.3–§4, C++ release where the paper is silent):
// - explicit fitness sharing: f' = f / |species|; each species gets offspring in proportion to Σ f'
//   (its mean fitness), rounded by largest remainder so the population size stays exact;
// - a species whose best fitness has not improved for `stagnation` generations gets no offspring (if every
//   species is stagnant, the one holding the population champion is kept);
// - if the population's best has not improved for `populationStagnation` generations, only the two best
//   species reproduce (C++ delta coding), and their stagnation clocks restart;
// - within a species the members are ranked; floor(survivalThreshold·size)+1 best may breed; the
//   champion of a species with more than elitismMinSpeciesSize members is copied unchanged;
// - mutateOnlyProb of the offspring come from mutation alone, the rest from crossover (second parent from
//   another species with interspeciesMateRate), followed by mutation unless mateOnlyProb says otherwise.
import type { NeatConfig } from './config.js';
import { cloneGenome, type Genome } from './genome.js';
import type { InnovationRegistry } from './innovations.js';
import { mutate } from './mutation.js';
import { crossover } from './crossover.js';
import { bestOf, type Species } from './species.js';
import type { Rng } from '../util/rng.js';

export interface PopulationCounters {
  nextGenomeId: number;
  /** Best raw fitness ever seen in the population and the generation it was reached. */
  bestFitness: number;
  lastImproved: number;
}

/** Update per-species and population improvement clocks after generation `gen` was evaluated. */
export function updateImprovement(species: Species[], counters: PopulationCounters, gen: number): void {
  for (const s of species) {
    const b = bestOf(s.members).fitness;
    if (b > s.bestFitness) { s.bestFitness = b; s.lastImproved = gen; }
    if (b > counters.bestFitness) { counters.bestFitness = b; counters.lastImproved = gen; }
  }
}

/** Offspring counts per species (same order as `species`). */
export function allocateOffspring(species: Species[], cfg: NeatConfig, counters: PopulationCounters, gen: number): number[] {
  const n = species.length;
  const eligible = new Array<boolean>(n).fill(false);
  for (let i = 0; i < n; i++) eligible[i] = gen - species[i]!.lastImproved < cfg.stagnation;

  const maxFit = species.map((s) => bestOf(s.members).fitness);
  if (cfg.populationStagnation > 0 && gen - counters.lastImproved >= cfg.populationStagnation && n > 0) {
    const order = species.map((_, i) => i).sort((x, y) => maxFit[y]! - maxFit[x]! || x - y);
    eligible.fill(false);
    for (const i of order.slice(0, 2)) { eligible[i] = true; species[i]!.lastImproved = gen; }
    counters.lastImproved = gen;
  }
  if (!eligible.some(Boolean) && n > 0) {
    let bi = 0;
    for (let i = 1; i < n; i++) if (maxFit[i]! > maxFit[bi]!) bi = i;
    eligible[bi] = true;
  }

  const share = species.map((s, i) => {
    if (!eligible[i]) return 0;
    let sum = 0;
    for (const g of s.members) sum += Math.max(0, g.fitness) / s.members.length;
    return sum;
  });
  let total = share.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    for (let i = 0; i < n; i++) share[i] = eligible[i] ? 1 : 0;
    total = share.reduce((a, b) => a + b, 0);
  }
  const exact = share.map((s) => (cfg.populationSize * s) / total);
  const counts = exact.map(Math.floor);
  let left = cfg.populationSize - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((_, i) => i).sort((x, y) => (exact[y]! - counts[y]!) - (exact[x]! - counts[x]!) || x - y);
  for (let k = 0; left > 0; k = (k + 1) % n) {
    const i = byRemainder[k]!;
    if (share[i]! > 0) { counts[i]!++; left--; }
  }
  return counts;
}

/** The next generation's genomes (unevaluated), in species order. */
export function reproduce(species: Species[], cfg: NeatConfig, inn: InnovationRegistry, rng: Rng, counters: PopulationCounters, gen: number): Genome[] {
  const counts = allocateOffspring(species, cfg, counters, gen);
  const ranked = species.map((s) => s.members.map((g, i) => ({ g, i })).sort((x, y) => y.g.fitness - x.g.fitness || x.i - y.i).map((e) => e.g));
  const out: Genome[] = [];
  for (let si = 0; si < species.length; si++) {
    let k = counts[si]!;
    if (k === 0) continue;
    const members = ranked[si]!;
    if ((cfg.elitismBy === 'offspring' ? k : members.length) > cfg.elitismMinSpeciesSize) {
      out.push(cloneGenome(members[0]!, counters.nextGenomeId++));
      k--;
    }
    const nParents = Math.min(members.length, Math.floor(cfg.survivalThreshold * members.length) + 1);
    const parents = members.slice(0, nParents);
    for (; k > 0; k--) {
      let child: Genome;
      if (rng.next() < cfg.mutateOnlyProb || parents.length === 1 && !(cfg.interspeciesMateRate > 0 && species.length > 1)) {
        child = cloneGenome(parents[rng.int(parents.length)]!, counters.nextGenomeId++);
        mutate(child, cfg, inn, rng);
      } else {
        const mom = parents[rng.int(parents.length)]!;
        let dad: Genome;
        if (species.length > 1 && rng.next() < cfg.interspeciesMateRate) {
          let oi = rng.int(species.length - 1);
          if (oi >= si) oi++;
          dad = ranked[oi]![0]!;
        } else {
          dad = parents[rng.int(parents.length)]!;
        }
        if (dad === mom) {
          child = cloneGenome(mom, counters.nextGenomeId++);
          mutate(child, cfg, inn, rng);
        } else {
          child = crossover(mom, dad, counters.nextGenomeId++, cfg, rng);
          if (!(rng.next() < cfg.mateOnlyProb)) mutate(child, cfg, inn, rng);
        }
      }
      child.fitness = 0;
      out.push(child);
    }
  }
  return out;
}
