// The native NEAT kernels (neatForward, neatForwardMany, neatExp) against the reference backend, on every
// ISA level. Random programs built directly: every activation code, back edges, batches across tiles.
// Tolerance 1e-12·max(1, |ref|): the native exp is within ~1e-15 relative of Math.exp (tanh and sin are libm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/backend/reference.js';
import { forEachIsa, nativeBackend, Rng } from './helpers.js';

const nb = nativeBackend();

interface Prog { nIn: number; nEval: number; start: Int32Array; src: Int32Array; weight: Float64Array; act: Uint8Array; bias: Float64Array }

function randomProgram(rng: Rng, nIn: number, nEval: number, backEdges: boolean): Prog {
  const start = new Int32Array(nEval + 1), src: number[] = [], weight: number[] = [];
  const act = new Uint8Array(nEval), bias = new Float64Array(nEval);
  for (let k = 0; k < nEval; k++) {
    start[k] = src.length;
    const fanIn = Math.floor(rng.uniform(0, 6));
    const bound = backEdges ? nIn + nEval : nIn + k;
    for (let c = 0; c < fanIn; c++) { src.push(Math.min(bound - 1, Math.floor(rng.uniform(0, bound)))); weight.push(rng.uniform(-3, 3)); }
    act[k] = Math.min(7, Math.floor(rng.uniform(0, 8)));
    bias[k] = rng.uniform(-1, 1);
  }
  start[nEval] = src.length;
  return { nIn, nEval, start, src: Int32Array.from(src), weight: Float64Array.from(weight), act, bias };
}

function assertClose(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-12 * Math.max(1, Math.abs(want[i]!)), `${what} [${i}]: native ${got[i]} vs reference ${want[i]}`);
  }
}

function randomValues(rng: Rng, len: number): Float64Array {
  const v = new Float64Array(len);
  for (let i = 0; i < len; i++) v[i] = rng.uniform(-2, 2);
  return v;
}

test('neatForward: native = reference, fresh and kept state, every ISA', () => {
  const rng = new Rng(5);
  forEachIsa(nb, (isa) => {
    for (let t = 0; t < 30; t++) {
      const p = randomProgram(rng, 1 + (t % 5), 1 + (t % 13), t % 2 === 1);
      for (const B of [1, 3, 8, 67, 300]) {
        const slots = p.nIn + p.nEval;
        const init = randomValues(rng, slots * B);
        for (const keep of [false, true]) {
          const want = init.slice(), got = init.slice();
          for (let step = 0; step < 3; step++) {
            ref.neatForward(p.nIn, p.nEval, p.start, p.src, p.weight, p.act, p.bias, want, B, keep);
            nb.neatForward(p.nIn, p.nEval, p.start, p.src, p.weight, p.act, p.bias, got, B, keep);
          }
          assertClose(got, want, `${isa} program ${t} B ${B} keep ${keep}`);
        }
      }
    }
  });
});

test('neatForwardMany: native = reference on concatenated programs, every ISA', () => {
  const rng = new Rng(9);
  const nIn = 3, nOut = 2, G = 17;
  const progs = Array.from({ length: G }, (_, g) => randomProgram(rng, nIn, nOut + (g % 7), false));
  const nodeOff = new Int32Array(G + 1);
  progs.forEach((p, g) => { nodeOff[g + 1] = nodeOff[g]! + p.nEval; });
  const nodes = nodeOff[G]!;
  const start = new Int32Array(nodes + 1), act = new Uint8Array(nodes), bias = new Float64Array(nodes), outSlot = new Int32Array(G * nOut);
  const src: number[] = [], weight: number[] = [];
  let maxSlots = nIn;
  progs.forEach((p, g) => {
    const k0 = nodeOff[g]!;
    for (let k = 0; k < p.nEval; k++) start[k0 + k] = src.length + p.start[k]!;
    src.push(...p.src); weight.push(...p.weight); act.set(p.act, k0); bias.set(p.bias, k0);
    for (let o = 0; o < nOut; o++) outSlot[g * nOut + o] = nIn + p.nEval - nOut + o;
    maxSlots = Math.max(maxSlots, nIn + p.nEval);
  });
  start[nodes] = src.length;
  const srcA = Int32Array.from(src), weightA = Float64Array.from(weight);
  forEachIsa(nb, (isa) => {
    for (const B of [1, 4, 33]) {
      const input = randomValues(rng, nIn * B);
      const want = new Float64Array(G * nOut * B), got = new Float64Array(G * nOut * B);
      ref.neatForwardMany(G, nIn, nOut, nodeOff, start, srcA, weightA, act, bias, outSlot, input, B, new Float64Array(maxSlots * B), want);
      nb.neatForwardMany(G, nIn, nOut, nodeOff, start, srcA, weightA, act, bias, outSlot, input, B, new Float64Array(maxSlots * B), got);
      assertClose(got, want, `${isa} B ${B}`);
    }
  });
});

test('neatExp: native = Math.exp (the reference) to 1e-14 relative, every ISA', () => {
  const rng = new Rng(2);
  forEachIsa(nb, (isa) => {
    const n = 257;
    const x = randomValues(rng, n).map((v) => v * 300);
    const want = new Float64Array(n), got = new Float64Array(n);
    ref.neatExp(x, want, n);
    nb.neatExp(x, got, n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-14 * want[i]!, `${isa}: exp(${x[i]})`);
  });
});
