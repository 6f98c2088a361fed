import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/neat/config.js';
import { crossover } from '../../src/neat/crossover.js';
import type { ConnGene, Genome, NodeGene } from '../../src/neat/genome.js';
import { compatibility } from '../../src/neat/species.js';
import { Rng } from '../../src/util/rng.js';

const N = (id: number, type: NodeGene['type']): NodeGene => ({ id, type, activation: type === 'input' || type === 'bias' ? 'identity' : 'steep-sigmoid', bias: 0 });
const C = (innovation: number, from: number, to: number, weight: number, enabled = true): ConnGene => ({ innovation, from, to, weight, enabled });

// The paper's Figure 4 parents: parent 1 genes 1,2,3,4,5,8; parent 2 genes 1,2,3,4,5,6,7,9,10.
function parents(): [Genome, Genome] {
  const nodes1 = [N(1, 'input'), N(2, 'input'), N(3, 'bias'), N(4, 'output'), N(5, 'hidden')];
  const p1: Genome = { id: 1, nIn: 3, nOut: 1, fitness: 0, nodes: nodes1, conns: [
    C(1, 1, 4, 1), C(2, 2, 4, 2, false), C(3, 3, 4, 3), C(4, 2, 5, 4), C(5, 5, 4, 5), C(8, 1, 5, 8),
  ] };
  const nodes2 = [...nodes1, N(6, 'hidden')];
  const p2: Genome = { id: 2, nIn: 3, nOut: 1, fitness: 0, nodes: nodes2, conns: [
    C(1, 1, 4, -1), C(2, 2, 4, -2, false), C(3, 3, 4, -3), C(4, 2, 5, -4), C(5, 5, 4, -5, false), C(6, 5, 6, -6), C(7, 6, 4, -7), C(9, 3, 5, -9), C(10, 1, 6, -10),
  ] };
  return [p1, p2];
}

test('compatibility distance matches the hand-computed example', () => {
  const [p1, p2] = parents();
  const cfg = { ...resolveConfig('xor').compatibility };
  const d = compatibility(p1, p2, cfg);
  // matching 1..5; disjoint: 8 (p1), 6, 7 (p2); excess: 9, 10 (beyond p1's max 8)
  assert.equal(d.matching, 5);
  assert.equal(d.disjoint, 3);
  assert.equal(d.excess, 2);
  // weight differences |w − (−w)| = 2w for w = 1..5 → mean 6
  assert.equal(d.meanWeightDiff, 6);
  assert.equal(d.n, 1); // fewer than 20 genes
  assert.ok(Math.abs(d.distance - (1 * 2 + 1 * 3 + 0.4 * 6)) < 1e-12);
  // normalization when genomes are large
  const d2 = compatibility(p1, p2, { ...cfg, normalizeMinGenes: 5, c3: 3 });
  assert.equal(d2.n, 9);
  assert.ok(Math.abs(d2.distance - (2 / 9 + 3 / 9 + 3 * 6)) < 1e-12);
  assert.equal(compatibility(p1, p1, cfg).distance, 0);
});

test('crossover aligns by innovation: matching from either parent, disjoint/excess from the fitter', () => {
  const [p1, p2] = parents();
  const cfg = resolveConfig('xor');
  p2.fitness = 10; p1.fitness = 5; // p2 fitter
  const rng = new Rng(11);
  let fromP2 = 0, matchingTotal = 0;
  for (let t = 0; t < 2000; t++) {
    const c = crossover(p1, p2, 99, cfg, rng);
    assert.deepEqual(c.conns.map((x) => x.innovation), [1, 2, 3, 4, 5, 6, 7, 9, 10]);
    assert.deepEqual(c.nodes.map((n) => n.id), [1, 2, 3, 4, 5, 6]);
    for (const g of c.conns) {
      if (g.innovation <= 5) { matchingTotal++; if (g.weight < 0) fromP2++; assert.equal(Math.abs(g.weight), g.innovation); }
      else assert.equal(g.weight, -g.innovation);
    }
  }
  const frac = fromP2 / matchingTotal;
  assert.ok(Math.abs(frac - 0.5) < 0.02, `matching genes from parent 2: ${frac}`);
  // the other way round: p1 fitter → only its genes 1,2,3,4,5,8
  p1.fitness = 20;
  const c = crossover(p1, p2, 100, cfg, rng);
  assert.deepEqual(c.conns.map((x) => x.innovation), [1, 2, 3, 4, 5, 8]);
});

test('the 75% disable rule, measured', () => {
  const [p1, p2] = parents();
  const cfg = resolveConfig('xor');
  p1.fitness = 1; p2.fitness = 2;
  const rng = new Rng(5);
  const n = 20000;
  let dis2 = 0, dis5 = 0, dis1 = 0;
  for (let t = 0; t < n; t++) {
    const c = crossover(p1, p2, 1, cfg, rng);
    const get = (i: number) => c.conns.find((x) => x.innovation === i)!;
    if (!get(2).enabled) dis2++; // disabled in both
    if (!get(5).enabled) dis5++; // disabled in one parent
    if (!get(1).enabled) dis1++; // enabled in both
  }
  assert.equal(dis1, 0);
  for (const d of [dis2, dis5]) assert.ok(Math.abs(d / n - 0.75) < 0.015, `disabled fraction ${d / n}`);
  const c0 = crossover(p1, p2, 1, { ...cfg, disableInheritProb: 0 }, rng);
  assert.ok(c0.conns.every((x) => x.enabled));
});

test("disable inheritance: 'paper' re-enables 25% of genes disabled in a parent; 'cpp' keeps the chosen gene's flag", () => {
  // fitter parent 2: gene 5 (5→4) disabled in it and enabled in parent 1 (matching); gene 6 enabled (disjoint);
  // with a disabled disjoint gene 11 added to parent 2
  const [p1, p2] = parents();
  p2.fitness = 1;
  p2.conns.push(C(11, 2, 6, -11, false));
  const n = 8000;
  for (const mode of ['paper', 'cpp'] as const) {
    const cfg = { ...resolveConfig('xor'), disableInheritance: mode };
    const rng = new Rng(9);
    let matchingOn = 0, disjointOn = 0;
    for (let k = 0; k < n; k++) {
      const child = crossover(p1, p2, 99, cfg, rng);
      if (child.conns.find((c) => c.innovation === 5)!.enabled) matchingOn++;
      if (child.conns.find((c) => c.innovation === 11)!.enabled) disjointOn++;
    }
    // paper: 25% each; cpp: matching 0.5 (parent 1's enabled copy chosen) × 0.25 = 12.5%, disjoint never
    const [wantMatching, wantDisjoint] = mode === 'paper' ? [0.25, 0.25] : [0.125, 0];
    assert.ok(Math.abs(matchingOn / n - wantMatching) < 0.015, `${mode}: matching ${matchingOn / n}`);
    assert.ok(Math.abs(disjointOn / n - wantDisjoint) < 0.015, `${mode}: disjoint ${disjointOn / n}`);
  }
});
