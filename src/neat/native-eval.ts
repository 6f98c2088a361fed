// NEAT program evaluation on the native addon (native/neat.cc), with the plain-TS evaluator of
// network.ts as reference and fallback. Two entry points:
// - forward(p, values, B, keepState): one compiled program over B columns of values [nSlots × B]
//   (rows 0..nIn−1 = inputs, written by the caller), in place; keepState = false starts from a zero
//   state (an acyclic program's output), true keeps the previous values ('back-edge-delay' stepping).
// - forwardMany(pack, input, B, out): many programs (a population) over the same inputs in one call,
//   each from a zero state — XOR's four patterns for 150 genomes are one call instead of 150.
// The native exp differs from Math.exp by ≲1e−15 relative (checked in test/neat/native-eval.test.ts),
// so results agree with the TS evaluator to ~1e−14 but not bit for bit: a run is reproducible for a
// given evaluator, and WINNOW_NEAT_EVAL=ts forces the TS one.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { nativeAddonPath } from '../backend/native.js';
import { activate, type Program } from './network.js';

interface NeatAddon {
  isa(): string;
  neatForward(nIn: number, nEval: number, start: Int32Array, src: Int32Array, weight: Float64Array, act: Uint8Array,
    bias: Float64Array, values: Float64Array, B: number, keepState: boolean): void;
  neatForwardMany(G: number, nIn: number, nOut: number, nodeOff: Int32Array, start: Int32Array, src: Int32Array,
    weight: Float64Array, act: Uint8Array, bias: Float64Array, outSlot: Int32Array, input: Float64Array, B: number,
    values: Float64Array, out: Float64Array): void;
  neatExp(x: Float64Array, y: Float64Array, n: number): void;
}

/** Programs concatenated for forwardMany: node k of program g is global node nodeOff[g] + k. */
export interface PackedPrograms {
  readonly G: number;
  readonly nIn: number;
  readonly nOut: number;
  readonly nodeOff: Int32Array;
  /** [total nodes + 1] global connection offsets. */
  readonly start: Int32Array;
  /** Program-local source slots. */
  readonly src: Int32Array;
  readonly weight: Float64Array;
  readonly act: Uint8Array;
  readonly bias: Float64Array;
  /** [G × nOut] program-local slot of each output. */
  readonly outSlot: Int32Array;
  readonly maxSlots: number;
}

export function packPrograms(ps: readonly Program[]): PackedPrograms {
  if (ps.length === 0) throw new Error('packPrograms: no programs');
  const nIn = ps[0]!.nIn, nOut = ps[0]!.nOut;
  let nodes = 0, conns = 0, maxSlots = nIn;
  for (const p of ps) {
    if (p.nIn !== nIn || p.nOut !== nOut) throw new Error(`packPrograms: programs differ in inputs/outputs (${p.nIn}/${p.nOut} vs ${nIn}/${nOut})`);
    nodes += p.nEval; conns += p.src.length; maxSlots = Math.max(maxSlots, p.nSlots);
  }
  const G = ps.length;
  const nodeOff = new Int32Array(G + 1), start = new Int32Array(nodes + 1), src = new Int32Array(conns);
  const weight = new Float64Array(conns), act = new Uint8Array(nodes), bias = new Float64Array(nodes), outSlot = new Int32Array(G * nOut);
  let k = 0, c = 0;
  ps.forEach((p, g) => {
    nodeOff[g] = k;
    for (let j = 0; j < p.nEval; j++) start[k + j] = c + p.start[j]!;
    act.set(p.act, k); bias.set(p.bias, k); src.set(p.src, c); weight.set(p.weight, c);
    outSlot.set(p.outSlot, g * nOut);
    k += p.nEval; c += p.src.length;
  });
  nodeOff[G] = k; start[k] = c;
  return { G, nIn, nOut, nodeOff, start, src, weight, act, bias, outSlot, maxSlots };
}

export interface NeatEval {
  readonly name: 'native' | 'ts';
  /** ISA of the native kernels, or 'typescript'. */
  readonly detail: string;
  forward(p: Program, values: Float64Array, B: number, keepState: boolean): void;
  /** out [G × nOut × B]: output o of program g for column b at ((g·nOut)+o)·B + b. */
  forwardMany(pack: PackedPrograms, input: Float64Array, B: number, out: Float64Array): void;
}

/** The reference: the same loop as network.ts's BatchEvaluator, over a caller's values buffer. */
export function forwardTs(p: Program, values: Float64Array, B: number, keepState: boolean): void {
  const { nIn, nEval, start, src, weight, act, bias } = p;
  if (!keepState) values.fill(0, nIn * B, (nIn + nEval) * B);
  for (let k = 0; k < nEval; k++) {
    const dst = (nIn + k) * B;
    const b0 = bias[k]!;
    for (let b = 0; b < B; b++) {
      let s = b0;
      for (let c = start[k]!; c < start[k + 1]!; c++) s += weight[c]! * values[src[c]! * B + b]!;
      // in place, column by column: a back edge reads this column's previous value, as in Stepper
      values[dst + b] = activate(act[k]!, s);
    }
  }
}

export const TS_NEAT_EVAL: NeatEval = {
  name: 'ts',
  detail: 'typescript',
  forward: forwardTs,
  forwardMany(pack, input, B, out) {
    const values = new Float64Array(pack.maxSlots * B);
    values.set(input.subarray(0, pack.nIn * B));
    for (let g = 0; g < pack.G; g++) {
      const k0 = pack.nodeOff[g]!, nEval = pack.nodeOff[g + 1]! - k0;
      const c0 = pack.start[k0]!;
      const p: Program = {
        nIn: pack.nIn, nOut: pack.nOut, nEval, nSlots: pack.nIn + nEval,
        start: pack.start.subarray(k0, k0 + nEval + 1).map((x) => x - c0),
        src: pack.src.subarray(c0, pack.start[k0 + nEval]!), weight: pack.weight.subarray(c0, pack.start[k0 + nEval]!),
        act: pack.act.subarray(k0, k0 + nEval), bias: pack.bias.subarray(k0, k0 + nEval),
        outSlot: pack.outSlot.subarray(g * pack.nOut, (g + 1) * pack.nOut), nodeIds: new Int32Array(nEval), recurrent: false,
      };
      forwardTs(p, values, B, false);
      for (let o = 0; o < pack.nOut; o++) out.set(values.subarray(p.outSlot[o]! * B, p.outSlot[o]! * B + B), (g * pack.nOut + o) * B);
    }
  },
};

function wrap(a: NeatAddon): NeatEval {
  let scratch = new Float64Array(0);
  return {
    name: 'native',
    get detail() { return a.isa(); },
    forward(p, values, B, keepState) {
      a.neatForward(p.nIn, p.nEval, p.start, p.src, p.weight, p.act, p.bias, values, B, keepState);
    },
    forwardMany(pack, input, B, out) {
      if (scratch.length < pack.maxSlots * B) scratch = new Float64Array(pack.maxSlots * B);
      a.neatForwardMany(pack.G, pack.nIn, pack.nOut, pack.nodeOff, pack.start, pack.src, pack.weight, pack.act, pack.bias,
        pack.outSlot, input, B, scratch, out);
    },
  };
}

const loaded = new Map<string, { eval: NeatEval; exp: NeatAddon['neatExp'] } | { error: string }>();

/** The native NEAT kernels, or why they are unavailable (never throws). */
export function loadNativeNeat(addonPath?: string): { eval: NeatEval; exp: (x: Float64Array, y: Float64Array, n: number) => void } | { error: string } {
  const r = nativeAddonPath(addonPath);
  if ('error' in r) return r;
  const hit = loaded.get(r.path);
  if (hit) return hit;
  let res: { eval: NeatEval; exp: NeatAddon['neatExp'] } | { error: string };
  if (!existsSync(r.path)) res = { error: `${r.path} not found; build it with npm run build:native` };
  else {
    try {
      const a = createRequire(import.meta.url)(r.path) as Partial<NeatAddon>;
      if (typeof a.neatForward !== 'function' || typeof a.neatForwardMany !== 'function' || typeof a.neatExp !== 'function' || typeof a.isa !== 'function') {
        res = { error: 'addon lacks the NEAT kernels (stale build? run npm run build:native)' };
      } else {
        const full = a as NeatAddon;
        res = { eval: wrap(full), exp: (x, y, n) => full.neatExp(x, y, n) };
      }
    } catch (e) {
      res = { error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
  }
  loaded.set(r.path, res);
  return res;
}

let defaultEval: NeatEval | null = null;

/**
 * The evaluator tasks use: native when the addon loads, else TS (silently: NEAT is correct either way).
 * WINNOW_NEAT_EVAL=ts forces TS; WINNOW_NEAT_EVAL=native makes a missing addon an error.
 */
export function neatEval(): NeatEval {
  if (defaultEval) return defaultEval;
  const want = process.env['WINNOW_NEAT_EVAL'];
  if (want !== undefined && want !== '' && want !== 'ts' && want !== 'native') throw new Error(`WINNOW_NEAT_EVAL must be ts or native, got '${want}'`);
  if (want === 'ts') return (defaultEval = TS_NEAT_EVAL);
  const r = loadNativeNeat();
  if ('error' in r) {
    if (want === 'native') throw new Error(`WINNOW_NEAT_EVAL=native: ${r.error}`);
    return (defaultEval = TS_NEAT_EVAL);
  }
  return (defaultEval = r.eval);
}

/** Batch evaluation of one program from a zero state, like network.ts's BatchEvaluator, on a NeatEval. */
export class ProgramBatch {
  readonly p: Program;
  readonly ev: NeatEval;
  private values = new Float64Array(0);

  constructor(p: Program, ev: NeatEval = neatEval()) { this.p = p; this.ev = ev; }

  /** input [nIn × B] → out [nOut × B]. */
  run(input: Float64Array, B: number, out: Float64Array): void {
    const { nIn, nSlots, outSlot } = this.p;
    if (this.values.length < nSlots * B) this.values = new Float64Array(nSlots * B);
    const v = this.values;
    v.set(input.subarray(0, nIn * B));
    this.ev.forward(this.p, v, B, false);
    for (let o = 0; o < outSlot.length; o++) out.set(v.subarray(outSlot[o]! * B, outSlot[o]! * B + B), o * B);
  }
}
