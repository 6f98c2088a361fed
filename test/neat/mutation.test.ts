import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, type NeatConfig } from '../../src/neat/config.js';
import { cloneGenome, startGenome, type Genome } from '../../src/neat/genome.js';
import { InnovationRegistry } from '../../src/neat/innovations.js';
import { createsCycle, mutateAddLink, mutateAddNode, mutateWeights } from '../../src/neat/mutation.js';
import { Rng } from '../../src/util/rng.js';

/** Counts over many mutateWeights calls on weights of 100: kept (exactly 100), perturbed (|w−100| ≤ power), replaced (|w| ≤ power). */
function weightOutcomes(cfg: NeatConfig, nGenes: number, calls: number): { kept: number; perturbed: number; replaced: number; tailReplaced: number; tailTotal: number } {
  const rng = new Rng(11);
  const g = startGenome(0, nGenes, 1, 'steep-sigmoid', 1, rng);
  const out = { kept: 0, perturbed: 0, replaced: 0, tailReplaced: 0, tailTotal: 0 };
  for (let k = 0; k < calls; k++) {
    for (const c of g.conns) c.weight = 100;
    mutateWeights(g, cfg, rng);
    g.conns.forEach((c, i) => {
      const tail = i > nGenes * 0.8;
      if (tail) out.tailTotal++;
      if (c.weight === 100) out.kept++;
      else if (Math.abs(c.weight - 100) <= cfg.weightPerturbPower) out.perturbed++;
      else { assert.ok(Math.abs(c.weight) <= cfg.weightPerturbPower, `weight ${c.weight} is neither perturbed nor replaced`); out.replaced++; if (tail) out.tailReplaced++; }
    });
  }
  return out;
}

test("weight mutation 'paper': 90% perturbed, 10% replaced, none kept", () => {
  const cfg: NeatConfig = { ...resolveConfig('xor'), weightReplaceRange: 2.5, weightClamp: null };
  const o = weightOutcomes(cfg, 5, 4000);
  const n = 5 * 4000;
  assert.equal(o.kept, 0);
  assert.ok(Math.abs(o.replaced / n - 0.1) < 0.01, `replaced ${o.replaced / n}`);
});

test("weight mutation 'cpp' follows NEAT 1.2.1's schedule: small genomes 85/10/5, the newest 20% of large ones replaced more", () => {
  const cfg: NeatConfig = { ...resolveConfig('xor'), weightMutation: 'cpp', weightClamp: null };
  const small = weightOutcomes(cfg, 5, 4000);
  const n = 5 * 4000;
  // severe half the time (0.7 / 0.2 / 0.1), otherwise always perturbed
  assert.ok(Math.abs(small.perturbed / n - 0.85) < 0.015, `perturbed ${small.perturbed / n}`);
  assert.ok(Math.abs(small.replaced / n - 0.10) < 0.015, `replaced ${small.replaced / n}`);
  assert.ok(Math.abs(small.kept / n - 0.05) < 0.01, `kept ${small.kept / n}`);
  // ≥ 10 genes: the tail (after 80%) is replaced with 0.5·0.2 + 0.5·0.2 = 0.2
  const large = weightOutcomes(cfg, 20, 3000);
  assert.ok(Math.abs(large.tailReplaced / large.tailTotal - 0.2) < 0.02, `tail replaced ${large.tailReplaced / large.tailTotal}`);
});

test('the weight clamp bounds every mutated weight', () => {
  const cfg: NeatConfig = { ...resolveConfig('xor'), weightClamp: 8, weightPerturbPower: 5 };
  const rng = new Rng(2);
  const g = startGenome(0, 4, 2, 'steep-sigmoid', 1, rng);
  for (let k = 0; k < 500; k++) { mutateWeights(g, cfg, rng); for (const c of g.conns) assert.ok(Math.abs(c.weight) <= 8); }
  assert.ok(g.conns.some((c) => Math.abs(c.weight) === 8), 'the clamp was never reached');
});

function grow(cfg: NeatConfig, seed: number, steps: number): Array<{ before: Genome; after: Genome }> {
  const rng = new Rng(seed);
  const g = startGenome(0, 4, 1, 'steep-sigmoid', 1, rng);
  const inn = new InnovationRegistry(4, 5);
  const events: Array<{ before: Genome; after: Genome }> = [];
  for (let s = 0; s < steps; s++) {
    if (rng.next() < 0.3) { mutateAddNode(g, cfg, inn, rng); continue; }
    const before = cloneGenome(g, 0);
    if (mutateAddLink(g, cfg, inn, rng)) events.push({ before, after: cloneGenome(g, 0) });
  }
  return events;
}

function addedLink(e: { before: Genome; after: Genome }) {
  const old = new Set(e.before.conns.map((c) => c.innovation));
  return e.after.conns.find((c) => !old.has(c.innovation))!;
}

test("add-link 'cpp': links into or out of an output count as recurrent", () => {
  const ff: NeatConfig = { ...resolveConfig('xor'), addLinkRule: 'cpp', newLinkWeightRange: 1 };
  const events = grow(ff, 5, 300);
  assert.ok(events.length > 10);
  for (const e of events) {
    const c = addedLink(e);
    assert.ok(c.to >= 5 && c.from !== 4, `feed-forward link ${c.from}→${c.to} touches the output`);
    assert.ok(!createsCycle(e.before, c.from, c.to));
    assert.ok(Math.abs(c.weight) <= 1);
  }
  const rec: NeatConfig = { ...resolveConfig('double-pole-nv'), addLinkRule: 'cpp', recurrentLinkProb: 1 };
  const recEvents = grow(rec, 6, 300);
  let selfLoops = 0;
  for (const e of recEvents) {
    const c = addedLink(e);
    assert.ok(createsCycle(e.before, c.from, c.to) || c.from === 4 || c.to === 4, `link ${c.from}→${c.to} is not recurrent`);
    if (c.from === c.to) selfLoops++;
  }
  assert.ok(selfLoops > recEvents.length / 4, `only ${selfLoops} self-loops of ${recEvents.length}`);
});
