import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/neat/config.js';
import { cloneGenome, startGenome } from '../../src/neat/genome.js';
import { InnovationRegistry } from '../../src/neat/innovations.js';
import { mutateAddLink, mutateAddNode } from '../../src/neat/mutation.js';
import { Rng } from '../../src/util/rng.js';

test('the same structural mutation in one generation gets the same numbers; next generation new ones', () => {
  const cfg = resolveConfig('xor');
  const rng = new Rng(1);
  const base = startGenome(0, 3, 1, 'steep-sigmoid', 1, rng);
  const inn = new InnovationRegistry(3, 4);
  const a = cloneGenome(base, 1), b = cloneGenome(base, 2);
  // split connection innovation 0 (0→3) in both genomes
  const s1 = inn.split(0, () => false);
  const s2 = inn.split(0, () => false);
  assert.deepEqual(s1, s2);
  assert.equal(s1.nodeId, 4);
  assert.deepEqual([s1.inInnovation, s1.outInnovation], [3, 4]);
  // a direct link with the same endpoints as a split half must not collide (keyed by mutation type)
  const l1 = inn.link(0, 4);
  assert.notEqual(l1, s1.inInnovation);
  assert.equal(inn.link(0, 4), l1);
  assert.notEqual(inn.link(1, 4), l1);
  // through the mutation operators: identical add-node choices give identical genes
  const rngA = new Rng(7), rngB = new Rng(7);
  mutateAddNode(a, cfg, inn, rngA);
  mutateAddNode(b, cfg, inn, rngB);
  assert.deepEqual(a.nodes, b.nodes);
  assert.deepEqual(a.conns.map((c) => [c.innovation, c.from, c.to]), b.conns.map((c) => [c.innovation, c.from, c.to]));
  inn.newGeneration();
  const s3 = inn.split(0, () => false);
  assert.notEqual(s3.nodeId, s1.nodeId);
  assert.ok(s3.inInnovation > l1);
  assert.notEqual(inn.link(0, 4), l1);
});

test('a split whose cached node id the genome already has gets fresh numbers', () => {
  const inn = new InnovationRegistry(3, 4);
  const s1 = inn.split(0, () => false);
  const s2 = inn.split(0, (id) => id === s1.nodeId);
  assert.notEqual(s2.nodeId, s1.nodeId);
});

test('add-link refuses cycles in feed-forward mode and innovation numbers stay sorted', () => {
  const cfg = resolveConfig('xor');
  const rng = new Rng(3);
  const g = startGenome(0, 3, 1, 'steep-sigmoid', 1, rng);
  const inn = new InnovationRegistry(3, 4);
  for (let i = 0; i < 40; i++) { if (i % 3 === 0) mutateAddNode(g, cfg, inn, rng); else mutateAddLink(g, cfg, inn, rng); }
  for (let i = 1; i < g.conns.length; i++) assert.ok(g.conns[i - 1]!.innovation < g.conns[i]!.innovation);
  // no cycles: a topological order exists
  const indeg = new Map<number, number>();
  for (const n of g.nodes) indeg.set(n.id, 0);
  for (const c of g.conns) indeg.set(c.to, indeg.get(c.to)! + 1);
  const q = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
  let seen = 0;
  while (q.length) { const v = q.pop()!; seen++; for (const c of g.conns) if (c.from === v) { indeg.set(c.to, indeg.get(c.to)! - 1); if (indeg.get(c.to) === 0) q.push(c.to); } }
  assert.equal(seen, g.nodes.length);
});
