import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DP, dpDerivs, dpStep, dampingFitness, doublePoleTask, generalizationScore, initialState } from '../../src/neat/tasks/pole-double.js';
import { cartPoleStep } from '../../src/neat/tasks/pole-single.js';
import type { Genome } from '../../src/neat/genome.js';

/** Independent hand-written derivative from the equations in the guide (Wieland / Gomez). */
function f(F: number, s: number[]): number[] {
  const g = -9.8, M = 1.0, mu = 0.000002;
  const m = [0.1, 0.01], l = [0.5, 0.05], th = [s[2]!, s[4]!], om = [s[3]!, s[5]!];
  const Ft = [0, 1].map((i) => m[i]! * l[i]! * om[i]! ** 2 * Math.sin(th[i]!) + 0.75 * m[i]! * Math.cos(th[i]!) * ((mu * om[i]!) / (m[i]! * l[i]!) + g * Math.sin(th[i]!)));
  const mt = [0, 1].map((i) => m[i]! * (1 - 0.75 * Math.cos(th[i]!) ** 2));
  const xdd = (F + Ft[0]! + Ft[1]!) / (M + mt[0]! + mt[1]!);
  const tdd = [0, 1].map((i) => (-0.75 * (xdd * Math.cos(th[i]!) + g * Math.sin(th[i]!) + (mu * om[i]!) / (m[i]! * l[i]!))) / l[i]!);
  return [s[1]!, xdd, s[3]!, tdd[0]!, s[5]!, tdd[1]!];
}
function classicRk4(F: number, y: number[], h: number): number[] {
  const add = (a: number[], b: number[], k: number) => a.map((v, i) => v + k * b[i]!);
  const k1 = f(F, y), k2 = f(F, add(y, k1, h / 2)), k3 = f(F, add(y, k2, h / 2)), k4 = f(F, add(y, k3, h));
  return y.map((v, i) => v + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
}

test('double-pole constants are the canonical ones', () => {
  assert.equal(DP.GRAVITY, -9.8);
  assert.deepEqual([DP.MASSCART, DP.MASSPOLE_1, DP.LENGTH_1, DP.MASSPOLE_2, DP.LENGTH_2], [1.0, 0.1, 0.5, 0.01, 0.05]);
  assert.equal(DP.MUP, 0.000002);
  assert.equal(DP.TAU, 0.01);
  assert.equal(DP.THIRTYSIX_DEGREES, 0.628329);
});

test('double-pole derivatives and the RK4 control step match a hand-written reference', () => {
  const states = [[0, 0, 0.07, 0, 0, 0], [0.3, -0.4, -0.2, 0.5, 0.1, -1.2], [-1.5, 1.1, 0.4, -0.3, -0.5, 2.0]];
  for (const s of states) for (const out of [0, 0.5, 0.83, 1]) {
    const F = (out - 0.5) * 20;
    const d = new Float64Array(6);
    dpDerivs(F, s, d);
    const want = f(F, s);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(d[i]! - want[i]!) < 1e-12, `deriv ${i}`);
    const st = Float64Array.from(s);
    dpStep(out, st);
    const ref = classicRk4(F, classicRk4(F, s, 0.01), 0.01);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(st[i]! - ref[i]!) < 1e-12, `rk4 ${i}: ${st[i]} vs ${ref[i]}`);
  }
  // with no force and θ1 = 0.07 the long pole falls away from vertical and the cart moves opposite
  const st = initialState();
  for (let i = 0; i < 10; i++) dpStep(0.5, st);
  assert.ok(st[2]! > 0.07 && st[3]! > 0 && st[1]! < 0);
});

test('single pole Euler step matches the Sutton–Anderson equations', () => {
  const s = { x: 0.1, xDot: -0.2, theta: 0.05, thetaDot: 0.3 };
  cartPoleStep(1, s);
  const temp = (10 + 0.05 * 0.09 * Math.sin(0.05)) / 1.1;
  const thacc = (9.8 * Math.sin(0.05) - Math.cos(0.05) * temp) / (0.5 * (1.3333333333333 - (0.1 * Math.cos(0.05) ** 2) / 1.1));
  const xacc = temp - (0.05 * thacc * Math.cos(0.05)) / 1.1;
  assert.ok(Math.abs(s.x - (0.1 + 0.02 * -0.2)) < 1e-15);
  assert.ok(Math.abs(s.xDot - (-0.2 + 0.02 * xacc)) < 1e-15);
  assert.ok(Math.abs(s.thetaDot - (0.3 + 0.02 * thacc)) < 1e-15);
});

function constantNet(nIn: number, biasWeight: number): Genome {
  const nodes: Genome['nodes'] = [];
  for (let i = 0; i < nIn; i++) nodes.push({ id: i, type: i === nIn - 1 ? 'bias' : 'input', activation: 'identity', bias: 0 });
  nodes.push({ id: nIn, type: 'output', activation: 'steep-sigmoid', bias: 0 });
  return { id: 0, nIn, nOut: 1, fitness: 0, nodes, conns: [{ innovation: 0, from: nIn - 1, to: nIn, weight: biasWeight, enabled: true }] };
}

test('fitness functions: DPV counts steps; DPNV uses the damping formula; an open-loop net fails generalization', () => {
  const dpv = doublePoleTask({ markov: true });
  const r = dpv.evaluate(constantNet(7, 0), { seed: 0, generation: 0, index: 0 });
  assert.ok(r.fitness > 0 && r.fitness < 200 && !r.solved);
  const jig = new Float64Array(1000).fill(2);
  assert.ok(Math.abs(dampingFitness(500, jig) - (0.05 + 0.9 * (0.75 / 200))) < 1e-15);
  assert.equal(dampingFitness(50, jig), 0.1 * (50 / 1000));
  // force 0: only the 5 starts at rest in equilibrium (θ1 = θ̇1 = ẋ = 0, any x) survive 1,000 steps
  assert.equal(generalizationScore(constantNet(4, 0), false), 5);
  assert.equal(generalizationScore(constantNet(4, 3), false), 0); // constant push: off the track
});
