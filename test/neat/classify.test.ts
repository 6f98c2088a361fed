// The classification task and the NEAT-vs-lottery-tickets comparison on small synthetic datasets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/registry.js';
import { resolveConfig } from '../../src/neat/config.js';
import { compareTable, paretoFront, type ComparePoint } from '../../src/experiments/neat-vs-tickets/report.js';
import { launch, neatVsTicketsExperiment, resolveHparams, type NeatVsTicketsSummary } from '../../src/experiments/index.js';
import { activate, ACT_CODE } from '../../src/neat/network.js';
import type { Genome } from '../../src/neat/genome.js';
import { runNeat } from '../../src/neat/run.js';
import { accuracy, classifyOptions, type ClassifySample } from '../../src/neat/tasks/classify.js';
import { randomGenome } from './helpers.js';

/** Per-sample recursive evaluation and argmax (lowest index on ties), independent of compile(). */
function naiveAccuracy(g: Genome, s: ClassifySample, classes: number): number {
  const nIn = g.nIn;
  let correct = 0;
  for (let j = 0; j < s.count; j++) {
    const memo = new Map<number, number>();
    const value = (id: number): number => {
      if (id < nIn) return s.input[id * s.count + j]!;
      if (memo.has(id)) return memo.get(id)!;
      const node = g.nodes.find((n) => n.id === id)!;
      let sum = node.bias;
      for (const c of g.conns) if (c.enabled && c.to === id) sum += c.weight * value(c.from);
      const v = activate(ACT_CODE[node.activation], sum);
      memo.set(id, v);
      return v;
    };
    let best = 0, bv = value(nIn);
    for (let c = 1; c < classes; c++) { const v = value(nIn + c); if (v > bv) { bv = v; best = c; } }
    if (best === s.labels[j]) correct++;
  }
  return correct / s.count;
}

const SPEC = 'synthetic:images?size=8&train=600&test=200@4x4';

test('classify accuracy = naive per-sample argmax on random genomes over a downsampled synthetic set', () => {
  const d = loadDataset(SPEC, { seed: 1 });
  assert.deepEqual(d.shape, [1, 4, 4]);
  const opts = classifyOptions(d, 300, 1);
  const train = opts.train as ClassifySample;
  assert.equal(train.count, 300);
  for (let seed = 0; seed < 8; seed++) {
    const g = randomGenome(70 + seed, { nIn: 17, nOut: d.classes, recurrent: false, steps: 10 + seed * 3 });
    assert.equal(accuracy(g, train, d.classes), naiveAccuracy(g, train, d.classes), `genome ${seed}`);
  }
});

test('NEAT learns the synthetic bars task well above chance within a few generations', async () => {
  const d = loadDataset(SPEC, { seed: 2 });
  const spec = { name: 'classify', options: classifyOptions(d, 400, 2) };
  const cfg = resolveConfig('classify', { populationSize: 60, maxGenerations: 12, checkpointEvery: 0 });
  const r = await runNeat({ task: spec, config: cfg, seed: 2, outDir: null });
  assert.equal(r.generations, 12);
  const test = r.report.testAccuracy!;
  assert.ok(test >= 0 && test <= 1);
  assert.ok(test > 0.5, `test accuracy ${test} (4 classes: chance 0.25)`);
  assert.ok(r.history[11]!.bestFitness >= r.history[0]!.bestFitness);
});

test('paretoFront and compareTable', () => {
  const pts: ComparePoint[] = [
    { method: 'neat', connections: 10, testAccuracy: 0.5, label: 'a' },
    { method: 'neat', connections: 12, testAccuracy: 0.4, label: 'b' },  // dominated
    { method: 'neat', connections: 20, testAccuracy: 0.7, label: 'c' },
    { method: 'ticket', connections: 100, testAccuracy: 0.8, label: 'level 0' },
    { method: 'random-prune', connections: 50, testAccuracy: 0.6, label: 'level 1' },
    { method: 'ticket', connections: 50, testAccuracy: 0.75, label: 'level 1' },
  ];
  assert.deepEqual(paretoFront(pts.filter((p) => p.method === 'neat')).map((p) => p.label), ['a', 'c']);
  const t = compareTable(pts);
  assert.deepEqual(t.rows.map((r) => r[0]), ['NEAT a', 'NEAT c', 'MLP level 1', 'MLP level 0']);
  assert.deepEqual(t.rows[2], ['MLP level 1', 50, 75, 60, null]);
});

test('compareTickets end to end on a tiny synthetic set: NEAT, ticket and random-prune points, JSON and report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neat-compare-'));
  const h = resolveHparams(neatVsTicketsExperiment, { dataset: SPEC, seed: 0, runs: 1, generations: 3, sample: 200, hidden: 8, levels: 2, iterations: 30, out: join(dir, 'out') });
  const r: NeatVsTicketsSummary = (await launch(neatVsTicketsExperiment, h, { root: join(dir, 'store'), backend: 'reference' })).summary;
  const by = (m: string) => r.points.filter((p) => p.method === m);
  assert.equal(by('neat').length, 3);
  assert.equal(by('ticket').length, 3);  // levels 0..2
  assert.equal(by('random-prune').length, 2);  // levels 1..2
  const total = 16 * 8 + 8 * 4;
  assert.equal(by('ticket')[0]!.connections, total);
  assert.ok(by('ticket')[2]!.connections < by('ticket')[1]!.connections);
  assert.equal(by('neat')[0]!.connections, 17 * 4);  // the minimal start genome, all links enabled
  for (const p of r.points) assert.ok(p.testAccuracy >= 0 && p.testAccuracy <= 1);
  const j = JSON.parse(readFileSync(join(dir, 'out', 'compare-tickets.json'), 'utf8'));
  assert.equal(j.points.length, r.points.length);
  for (const f of ['compare-tickets.md', 'compare-tickets.html', 'compare-tickets-accuracy-vs-connections.svg']) {
    assert.ok(existsSync(join(dir, 'out', 'report', f)), f);
  }
});
