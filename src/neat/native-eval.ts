// NEAT program evaluation through the kernel Backend (its neatForward / neatForwardMany kernels): the
// native addon's vector kernels (native/neat.cc) or the reference loop (src/backend/reference.ts, the
// same arithmetic as network.ts's BatchEvaluator). Two entry points:
// - forward(p, values, B, keepState): one compiled program over B columns of values [nSlots × B]
//   (rows 0..nIn−1 = inputs, written by the caller), in place; keepState = false starts from a zero
//   state (an acyclic program's output), true keeps the previous values ('back-edge-delay' stepping).
// - forwardMany(pack, input, B, out): many programs (a population) over the same inputs in one call,
//   each from a zero state — XOR's four patterns for 150 genomes are one call instead of 150.
// The native exp differs from Math.exp by ≲1e−15 relative (checked in test/neat/native-eval.test.ts),
// so results agree with the reference to ~1e−14 but not bit for bit: a run is reproducible for a
// given backend, and WINNOW_NEAT_EVAL=reference forces the reference one.
import type { Backend } from '../backend/backend.js';
import { getBackend, type BackendName } from '../backend/index.js';
import { loadNativeBackend } from '../backend/native.js';
import { referenceBackend } from '../backend/reference.js';
import type { Program } from './network.js';

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
  readonly name: Backend['name'];
  /** The backend's detail: the ISA of the native kernels, or 'plain TypeScript'. */
  readonly detail: string;
  readonly backend: Backend;
  forward(p: Program, values: Float64Array, B: number, keepState: boolean): void;
  /** out [G × nOut × B]: output o of program g for column b at ((g·nOut)+o)·B + b. */
  forwardMany(pack: PackedPrograms, input: Float64Array, B: number, out: Float64Array): void;
}

const evals = new WeakMap<Backend, NeatEval>();

/** The NeatEval over a backend's NEAT kernels (one per backend, holding forwardMany's scratch). */
export function neatEvalOf(b: Backend): NeatEval {
  const hit = evals.get(b);
  if (hit) return hit;
  let scratch = new Float64Array(0);
  const ev: NeatEval = {
    name: b.name,
    get detail() { return b.detail; },
    backend: b,
    forward(p, values, B, keepState) {
      b.neatForward(p.nIn, p.nEval, p.start, p.src, p.weight, p.act, p.bias, values, B, keepState);
    },
    forwardMany(pack, input, B, out) {
      if (scratch.length < pack.maxSlots * B) scratch = new Float64Array(pack.maxSlots * B);
      b.neatForwardMany(pack.G, pack.nIn, pack.nOut, pack.nodeOff, pack.start, pack.src, pack.weight, pack.act, pack.bias,
        pack.outSlot, input, B, scratch, out);
    },
  };
  evals.set(b, ev);
  return ev;
}

/** The reference evaluator (plain TypeScript, bit-identical to network.ts's BatchEvaluator). */
export const REFERENCE_NEAT_EVAL: NeatEval = neatEvalOf(referenceBackend);

let defaultEval: NeatEval | null = null;

/**
 * The evaluator tasks use. With a backend name: that backend (getBackend: native falls back to the
 * reference with a warning). Without: WINNOW_NEAT_EVAL (native | reference, 'ts' = reference) when set
 * (native then requires the addon), else native when the addon loads, else the reference (silently:
 * NEAT is correct either way).
 */
export function neatEval(backend?: BackendName): NeatEval {
  if (backend !== undefined) return neatEvalOf(getBackend(backend));
  if (defaultEval) return defaultEval;
  const want = process.env['WINNOW_NEAT_EVAL'];
  if (want !== undefined && want !== '' && want !== 'ts' && want !== 'reference' && want !== 'native') {
    throw new Error(`WINNOW_NEAT_EVAL must be native or reference, got '${want}'`);
  }
  if (want === 'ts' || want === 'reference') return (defaultEval = REFERENCE_NEAT_EVAL);
  const r = loadNativeBackend();
  if ('error' in r) {
    if (want === 'native') throw new Error(`WINNOW_NEAT_EVAL=native: ${r.error}`);
    return (defaultEval = REFERENCE_NEAT_EVAL);
  }
  return (defaultEval = neatEvalOf(r.backend));
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
