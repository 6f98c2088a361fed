import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, type NeatConfig } from '../../src/neat/config.js';
import { startGenome, type Genome } from '../../src/neat/genome.js';
import { InnovationRegistry } from '../../src/neat/innovations.js';
import { allocateOffspring, reproduce } from '../../src/neat/population.js';
import type { Species } from '../../src/neat/species.js';
import { Rng } from '../../src/util/rng.js';

function twoSpecies(): Species[] {
  const rng = new Rng(4);
  const mk = (id: number, fitness: number): Genome => { const g = startGenome(id, 3, 1, 'steep-sigmoid', 1, rng); g.fitness = fitness; return g; };
  // a small, fit species (3 members) and a large, weak one (10 members)
  const small = [mk(0, 9), mk(1, 8), mk(2, 7)];
  const large = Array.from({ length: 10 }, (_, i) => mk(10 + i, 1));
  const sp = (id: number, members: Genome[]): Species => ({ id, created: 0, representative: members[0]!, members, bestFitness: -Infinity, lastImproved: 0, checked: false });
  return [sp(0, small), sp(1, large)];
}

test('offspring are shared in proportion to mean fitness and sum to the population size', () => {
  const cfg: NeatConfig = { ...resolveConfig('xor'), populationSize: 40 };
  const counts = allocateOffspring(twoSpecies(), cfg, { nextGenomeId: 100, bestFitness: 9, lastImproved: 0 }, 0);
  assert.equal(counts[0]! + counts[1]!, 40);
  assert.equal(counts[0], 36); // mean 8 vs 1: 40·8/9 = 35.6
});

test("elitism by 'members' (paper wording) vs 'offspring' (C++): who keeps its champion", () => {
  for (const elitismBy of ['members', 'offspring'] as const) {
    const cfg: NeatConfig = { ...resolveConfig('xor'), populationSize: 40, elitismBy, mutateOnlyProb: 1, weightMutateProb: 1, addNodeProb: 0, addLinkProb: 0 };
    const species = twoSpecies();
    const counters = { nextGenomeId: 100, bestFitness: 9, lastImproved: 0 };
    const kids = reproduce(species, cfg, new InnovationRegistry(3, 4), new Rng(1), counters, 0);
    assert.equal(kids.length, 40);
    const isCopy = (champ: Genome) => kids.some((k) => k.conns.every((c, i) => c.weight === champ.conns[i]!.weight));
    const [small, large] = species;
    // the small species (3 members, 36 offspring) keeps its champion only under the C++ rule;
    // the large one (10 members, 4 offspring) only under the paper's wording
    assert.equal(isCopy(small!.members[0]!), elitismBy === 'offspring', `${elitismBy}: small species`);
    assert.equal(isCopy(large!.members[0]!), elitismBy === 'members', `${elitismBy}: large species`);
  }
});
