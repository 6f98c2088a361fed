// Native NEAT kernels (native/neat.cc) against the TS evaluators of network.ts, on every ISA level the CPU
// runs. The addon is required (a missing build fails, as in test/backend/). Tolerance: |native − ts| ≤
// 1e-12·max(1, |ts|) — the native exp is within ~1e-15 relative of Math.exp, and a program adds that
// error once per node through sums of O(10) terms with weights ≤ 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchEvaluator, compile, Stepper, type Program } from '../../src/neat/network.js';
import { neatEvalOf, packPrograms, ProgramBatch, REFERENCE_NEAT_EVAL, type NeatEval } from '../../src/neat/native-eval.js';
import { xorEvaluateMany, xorFitness, xorOutputs } from '../../src/neat/tasks/xor.js';
import { Rng } from '../../src/util/rng.js';
import { forEachIsa, nativeBackend } from '../backend/helpers.js';
import { randomGenome } from './helpers.js';

function native(): { ev: NeatEval; exp: (x: Float64Array, y: Float64Array, n: number) => void } {
  const b = nativeBackend();
  return { ev: neatEvalOf(b), exp: b.neatExp };
}

const TOL = 1e-12;
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    assert.ok(Math.abs(g - w) <= TOL * Math.max(1, Math.abs(w)), `${what} [${i}]: native ${g} vs ts ${w}`);
  }
}

function randomInput(rng: Rng, nIn: number, B: number): Float64Array {
  const x = new Float64Array(nIn * B);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

test('vector exp matches Math.exp to 1e-14 relative over [-708, 709], with exact special points', () => {
  const { exp } = native();
  const rng = new Rng(1);
  forEachIsa(nativeBackend(), (isa) => {
    for (const [lo, hi] of [[-1, 1], [-40, 40], [-708, 709]] as const) {
      for (const n of [1, 3, 8, 17, 1001]) {
        const x = new Float64Array(n), y = new Float64Array(n);
        for (let i = 0; i < n; i++) x[i] = rng.uniform(lo, hi);
        exp(x, y, n);
        for (let i = 0; i < n; i++) {
          const want = Math.exp(x[i]!);
          assert.ok(Math.abs(y[i]! - want) <= 1e-14 * want, `${isa}: exp(${x[i]}) = ${y[i]} vs ${want}`);
        }
      }
    }
    const special = Float64Array.from([0, 1, -1, Math.LN2, 1e-300, -1e-300]);
    const y = new Float64Array(special.length);
    exp(special, y, special.length);
    assert.equal(y[0], 1, `${isa}: exp(0)`);
    assertClose(y, special.map(Math.exp), `${isa} special`);
    // beyond the clamp: finite, tiny or huge, never NaN — the sigmoids stay in [0, 1]
    const far = Float64Array.from([-1e6, 1e6, -800, 800]);
    const yf = new Float64Array(4);
    exp(far, yf, 4);
    assert.ok(yf[0]! >= 0 && yf[0]! < 1e-300 && yf[2]! < 1e-300, `${isa}: far negative ${yf[0]}`);
    assert.ok(yf[1]! > 1e300 && Number.isFinite(yf[1]!), `${isa}: far positive ${yf[1]}`);
  });
});

test('native batch forward = TS BatchEvaluator on random feed-forward genomes (batch 1, odd, across tiles)', () => {
  const { ev } = native();
  const rng = new Rng(7);
  forEachIsa(nativeBackend(), (isa) => {
    for (let seed = 0; seed < 40; seed++) {
      const nIn = 1 + (seed % 6), nOut = 1 + (seed % 3);
      const g = randomGenome(300 + seed, { nIn, nOut, recurrent: false, steps: 2 + (seed % 23) });
      const p = compile(g);
      for (const B of [1, 3, 7, 17, 513, 1031]) {
        if (B > 100 && seed % 4 !== 0) continue;
        const x = randomInput(rng, nIn, B);
        const want = new Float64Array(nOut * B), got = new Float64Array(nOut * B);
        new BatchEvaluator(p).run(x, B, want);
        new ProgramBatch(p, ev).run(x, B, got);
        assertClose(got, want, `${isa} seed ${seed} B ${B}`);
      }
    }
  });
});

test('native stepping with kept state = Stepper (back-edge-delay) on recurrent genomes', () => {
  const { ev } = native();
  const rng = new Rng(11);
  let recurrent = 0;
  forEachIsa(nativeBackend(), (isa) => {
    for (let seed = 0; seed < 40; seed++) {
      const g = randomGenome(2000 + seed, { nIn: 3, nOut: 2, recurrent: true, steps: 6 + (seed % 20) });
      const p = compile(g);
      if (p.recurrent) recurrent++;
      const st = new Stepper(p, 'back-edge-delay');
      const values = new Float64Array(p.nSlots);
      const o = new Float64Array(2);
      for (let t = 0; t < 8; t++) {
        const x = randomInput(rng, 3, 1);
        st.activate(x, o);
        values.set(x);
        ev.forward(p, values, 1, t > 0);
        assertClose(Array.from(p.outSlot, (s) => values[s]!), o, `${isa} seed ${seed} step ${t}`);
      }
    }
  });
  assert.ok(recurrent > 20, `only ${recurrent} recurrent programs generated`);
});

test('forwardMany (lockstep population) = one BatchEvaluator per genome, native and TS', () => {
  const { ev } = native();
  const rng = new Rng(3);
  const programs: Program[] = [];
  for (let i = 0; i < 37; i++) programs.push(compile(randomGenome(500 + i, { nIn: 4, nOut: 2, recurrent: false, steps: i % 17 })));
  const pack = packPrograms(programs);
  for (const B of [1, 4, 9]) {
    const x = randomInput(rng, 4, B);
    const want = new Float64Array(programs.length * 2 * B);
    programs.forEach((p, g) => new BatchEvaluator(p).run(x, B, want.subarray(g * 2 * B, (g + 1) * 2 * B)));
    const gotN = new Float64Array(want.length), gotT = new Float64Array(want.length);
    forEachIsa(nativeBackend(), (isa) => { ev.forwardMany(pack, x, B, gotN); assertClose(gotN, want, `${isa} many B ${B}`); });
    REFERENCE_NEAT_EVAL.forwardMany(pack, x, B, gotT);
    assert.deepEqual([...gotT], [...want], 'the reference backend is the BatchEvaluator loop: bit-identical');
  }
});

test('XOR evaluateMany agrees with per-genome evaluation', () => {
  const { ev } = native();
  const genomes = Array.from({ length: 25 }, (_, i) => randomGenome(900 + i, { nIn: 3, nOut: 1, recurrent: false, steps: i % 9 }));
  const many = xorEvaluateMany(genomes, ev);
  genomes.forEach((g, i) => {
    const one = xorFitness(xorOutputs(g, REFERENCE_NEAT_EVAL));
    assert.ok(Math.abs(many[i]!.fitness - one.fitness) < 1e-10, `genome ${i}: ${many[i]!.fitness} vs ${one.fitness}`);
  });
});

test('the addon rejects malformed programs instead of reading out of bounds', () => {
  const { ev } = native();
  const p = compile(randomGenome(42, { nIn: 3, nOut: 1, recurrent: false, steps: 6 }));
  assert.ok(p.src.length > 0);
  const short = new Float64Array(p.nSlots * 4 - 1);
  assert.throws(() => ev.forward(p, short, 4, false), /values has/);
  const badSrc = { ...p, src: p.src.map(() => p.nSlots + 5) };
  assert.throws(() => ev.forward(badSrc, new Float64Array(p.nSlots * 4), 4, false), /src\[\d+\] = \d+ is outside/);
  const badAct = { ...p, act: p.act.map(() => 9) };
  assert.throws(() => ev.forward(badAct, new Float64Array(p.nSlots * 4), 4, false), /not an activation code/);
});
