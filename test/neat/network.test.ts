import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchEvaluator, compile, Stepper, activate, ACT_CODE } from '../../src/neat/network.js';
import type { Genome } from '../../src/neat/genome.js';
import { Rng } from '../../src/util/rng.js';
import { randomGenome } from './helpers.js';

const act = (n: { activation: keyof typeof ACT_CODE }, x: number) => activate(ACT_CODE[n.activation], x);

/** Naive recursive evaluation of an acyclic genome, node by node, with maps. */
function naiveFF(g: Genome, input: number[]): number[] {
  const memo = new Map<number, number>();
  const value = (id: number): number => {
    if (id < g.nIn) return input[id]!;
    if (memo.has(id)) return memo.get(id)!;
    const node = g.nodes.find((n) => n.id === id)!;
    let s = node.bias;
    for (const c of g.conns) if (c.enabled && c.to === id) s += c.weight * value(c.from);
    const v = act(node, s);
    memo.set(id, v);
    return v;
  };
  return Array.from({ length: g.nOut }, (_, o) => value(g.nIn + o));
}

/** The documented order, recomputed independently over all nodes (no pruning): Kahn, smallest id first, smallest remaining id when stuck. */
function naiveOrder(g: Genome): number[] {
  const ids = g.nodes.filter((n) => n.type === 'hidden' || n.type === 'output').map((n) => n.id).sort((a, b) => a - b);
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < ids.length) {
    const ready = ids.filter((v) => !done.has(v) && g.conns.every((c) => !c.enabled || c.to !== v || c.from === v || c.from < g.nIn || done.has(c.from)));
    const pick = ready.length ? ready[0]! : ids.find((v) => !done.has(v))!;
    done.add(pick);
    order.push(pick);
  }
  return order;
}

/** Naive stepping: 'back-edge-delay' updates in place in the naive order; 'synchronous' reads only the previous step. */
function naiveSteps(g: Genome, inputs: number[][], mode: 'back-edge-delay' | 'synchronous'): number[][] {
  const order = naiveOrder(g);
  let val = new Map<number, number>();
  const outs: number[][] = [];
  for (const input of inputs) {
    const prev = new Map(val);
    input.forEach((x, i) => { val.set(i, x); prev.set(i, x); });
    for (const id of order) {
      const node = g.nodes.find((n) => n.id === id)!;
      let s = node.bias;
      for (const c of g.conns) if (c.enabled && c.to === id) s += c.weight * ((mode === 'synchronous' ? prev : val).get(c.from) ?? 0);
      val.set(id, act(node, s));
    }
    outs.push(Array.from({ length: g.nOut }, (_, o) => val.get(g.nIn + o)!));
  }
  return outs;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

test('compiled feed-forward program equals naive per-node evaluation (single and batch)', () => {
  const rng = new Rng(99);
  for (let seed = 0; seed < 60; seed++) {
    const g = randomGenome(seed, { nIn: 4, nOut: 2, recurrent: false, steps: 4 + (seed % 25) });
    const p = compile(g);
    assert.equal(p.recurrent, false);
    const B = 7;
    const inp = new Float64Array(g.nIn * B);
    const rows: number[][] = [];
    for (let b = 0; b < B; b++) { const r = Array.from({ length: g.nIn }, () => rng.uniform(-2, 2)); rows.push(r); r.forEach((x, i) => (inp[i * B + b] = x)); }
    const out = new Float64Array(g.nOut * B);
    new BatchEvaluator(p).run(inp, B, out);
    const st = new Stepper(p);
    const o1 = new Float64Array(g.nOut);
    for (let b = 0; b < B; b++) {
      const want = naiveFF(g, rows[b]!);
      st.reset(); st.activate(rows[b]!, o1);
      for (let o = 0; o < g.nOut; o++) {
        assert.ok(close(out[o * B + b]!, want[o]!), `seed ${seed} batch ${out[o * B + b]} vs ${want[o]}`);
        assert.ok(close(o1[o]!, want[o]!), `seed ${seed} single`);
      }
    }
  }
});

test('compiled recurrent program equals naive stepping in both update modes', () => {
  const rng = new Rng(5);
  let sawRecurrent = 0;
  for (let seed = 0; seed < 60; seed++) {
    const g = randomGenome(1000 + seed, { nIn: 3, nOut: 2, recurrent: true, steps: 6 + (seed % 20) });
    const p = compile(g);
    if (p.recurrent) sawRecurrent++;
    const inputs = Array.from({ length: 6 }, () => Array.from({ length: g.nIn }, () => rng.uniform(-1, 1)));
    for (const mode of ['back-edge-delay', 'synchronous'] as const) {
      const want = naiveSteps(g, inputs, mode);
      const st = new Stepper(p, mode);
      const o = new Float64Array(g.nOut);
      inputs.forEach((inp, t) => {
        st.activate(inp, o);
        for (let k = 0; k < g.nOut; k++) assert.ok(close(o[k]!, want[t]![k]!), `seed ${seed} ${mode} step ${t}: ${o[k]} vs ${want[t]![k]}`);
      });
    }
  }
  assert.ok(sawRecurrent > 20, `only ${sawRecurrent} recurrent genomes generated`);
});

test('an output without inputs gives act(0) = 0.5; disabled links are ignored', () => {
  const g: Genome = { id: 0, nIn: 2, nOut: 1, fitness: 0, nodes: [
    { id: 0, type: 'input', activation: 'identity', bias: 0 }, { id: 1, type: 'bias', activation: 'identity', bias: 0 }, { id: 2, type: 'output', activation: 'steep-sigmoid', bias: 0 },
  ], conns: [{ innovation: 0, from: 0, to: 2, weight: 5, enabled: false }] };
  const o = new Float64Array(1);
  new Stepper(compile(g)).activate([1, 1], o);
  assert.equal(o[0], 0.5);
});
