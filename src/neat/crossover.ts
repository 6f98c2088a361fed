// Crossover aligned by innovation number (paper §3.2): matching genes are inherited from either parent
// at random (or, with crossoverAverageProb, their weights are averaged — C++ mate_multipoint_avg);
// disjoint and excess genes come from the fitter parent. Equal fitness: the genome with fewer genes
// counts as fitter (C++ release), ties broken at random. A gene disabled in either parent is disabled in
// the child with disableInheritProb (75%), otherwise enabled.
import type { NeatConfig } from './config.js';
import type { ConnGene, Genome, NodeGene } from './genome.js';
import type { Rng } from '../util/rng.js';

export function crossover(a: Genome, b: Genome, childId: number, cfg: NeatConfig, rng: Rng): Genome {
  let aFitter: boolean;
  if (a.fitness !== b.fitness) aFitter = a.fitness > b.fitness;
  else if (a.conns.length !== b.conns.length) aFitter = a.conns.length < b.conns.length;
  else aFitter = rng.next() < 0.5;
  const fit = aFitter ? a : b;
  const other = aFitter ? b : a;
  const average = cfg.crossoverAverageProb > 0 && rng.next() < cfg.crossoverAverageProb;

  const otherByInnov = new Map<number, ConnGene>();
  for (const c of other.conns) otherByInnov.set(c.innovation, c);

  const conns: ConnGene[] = [];
  const seenPairs = new Set<string>();
  for (const c of fit.conns) {
    const m = otherByInnov.get(c.innovation);
    // the gene the child takes: either parent's for matching genes (the first one, averaged, when averaging)
    const chosen = m && !average && rng.next() >= 0.5 ? m : c;
    const weight = m && average ? (c.weight + m.weight) / 2 : chosen.weight;
    const disabledInParent = !c.enabled || (m !== undefined && !m.enabled);
    const disable = disabledInParent && rng.next() < cfg.disableInheritProb;
    // 'paper': disabled with disableInheritProb when disabled in either parent, else enabled. 'cpp' (C++
    // mate_multipoint): the chosen gene keeps its flag, and only a matching gene can be disabled by the rule.
    const enabled = cfg.disableInheritance === 'cpp' ? chosen.enabled && !(m && disable) : !disable;
    const key = `${c.from}:${c.to}`;
    if (seenPairs.has(key)) continue; // same link with two innovations (independent mutations in different generations)
    seenPairs.add(key);
    conns.push({ innovation: c.innovation, from: c.from, to: c.to, weight, enabled });
  }

  // Nodes: the fitter parent's structure. Per-node bias/activation taken from either parent when both have it.
  const otherNodes = new Map<number, NodeGene>();
  for (const n of other.nodes) otherNodes.set(n.id, n);
  const nodes: NodeGene[] = fit.nodes.map((n) => {
    const m = otherNodes.get(n.id);
    return m && rng.next() < 0.5 ? { ...m } : { ...n };
  });
  return { id: childId, nodes, conns, nIn: fit.nIn, nOut: fit.nOut, fitness: 0 };
}
