// Phenotypes: a genome compiled into a flat, ordered program of typed arrays, evaluated without per-node
// allocation, one input at a time (stepping a controller) or over a whole batch (batch-last layout).
//
// Compilation. Only nodes that can reach an output over enabled connections are kept (outputs always).
// Kept non-input nodes are ordered by Kahn's algorithm over enabled connections (self-loops ignored),
// always taking the ready node with the smallest id; when no node is ready (a cycle), the remaining node
// with the smallest id is taken next. Node k in that order lives in value slot nIn + k; inputs are slots
// 0..nIn−1 (the node ids of the inputs). Each node's incoming connections are stored contiguously
// (sorted by innovation): src slot (Int32Array), weight (Float64Array), between start[k] and start[k+1].
//
// Update semantics (documented contract; test/neat/network.test.ts checks it against a naive evaluator):
// - Acyclic genome: one pass in order computes every node from the current inputs. This equals C++ NEAT's
//   activation repeated max_depth()+1 times (the XOR protocol) — the settled output.
// - 'back-edge-delay' (default for recurrent genomes): one pass per step, in the order above, updating
//   values in place. A connection whose source is at or after its target in the order (a back edge, incl.
//   self-loops) therefore reads the source's value from the previous step; all other connections read this
//   step's values. State starts at 0 and is kept between steps until reset(). cyclesPerActivation = 1.
// - 'synchronous': every non-input node is computed from the previous step's values of its sources (every
//   connection is delayed one step), like C++ NEAT's one pass per activate() once a network is primed
//   and neat-python's RecurrentNetwork.
// A node's output is act(bias + Σ w·value(src)); nodes without inputs output act(bias).
import type { ActivationName } from './config.js';
import type { Genome } from './genome.js';

export const ACT_CODE: Record<ActivationName, number> = {
  'steep-sigmoid': 0, sigmoid: 1, tanh: 2, relu: 3, identity: 4, gauss: 5, sin: 6, abs: 7,
};

import { activate } from '../backend/activations.js';

export { activate };

export interface Program {
  readonly nIn: number;
  readonly nOut: number;
  /** Number of computed (non-input) nodes, in evaluation order. */
  readonly nEval: number;
  readonly nSlots: number;
  /** [nEval+1] connection ranges per computed node. */
  readonly start: Int32Array;
  readonly src: Int32Array;
  readonly weight: Float64Array;
  readonly act: Uint8Array;
  readonly bias: Float64Array;
  /** Value slot of each output. */
  readonly outSlot: Int32Array;
  /** Node id of each computed node (slot nIn + k). */
  readonly nodeIds: Int32Array;
  /** True when some connection reads a value from the previous step (a cycle). */
  readonly recurrent: boolean;
}

/** The evaluation order of the kept nodes (see the header comment), plus the kept set. */
export function evaluationOrder(g: Genome): { order: number[]; kept: Set<number> } {
  const isInput = new Set<number>();
  for (const n of g.nodes) if (n.type === 'input' || n.type === 'bias') isInput.add(n.id);
  const enabled = g.conns.filter((c) => c.enabled);
  // kept: nodes that reach an output (reverse BFS), plus all outputs
  const incoming = new Map<number, number[]>();
  for (const c of enabled) {
    let l = incoming.get(c.to);
    if (!l) incoming.set(c.to, (l = []));
    l.push(c.from);
  }
  const kept = new Set<number>();
  const stack: number[] = [];
  for (const n of g.nodes) if (n.type === 'output') { kept.add(n.id); stack.push(n.id); }
  while (stack.length) {
    const v = stack.pop()!;
    for (const u of incoming.get(v) ?? []) {
      if (!isInput.has(u) && !kept.has(u)) { kept.add(u); stack.push(u); }
    }
  }
  const indeg = new Map<number, number>();
  const outs = new Map<number, number[]>();
  for (const v of kept) indeg.set(v, 0);
  for (const c of enabled) {
    if (isInput.has(c.from) || c.from === c.to || !kept.has(c.to) || !kept.has(c.from)) continue;
    indeg.set(c.to, indeg.get(c.to)! + 1);
    let l = outs.get(c.from);
    if (!l) outs.set(c.from, (l = []));
    l.push(c.to);
  }
  const remaining = [...kept].sort((a, b) => a - b);
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < remaining.length) {
    let pick = -1;
    for (const v of remaining) if (!done.has(v) && indeg.get(v) === 0) { pick = v; break; }
    if (pick < 0) for (const v of remaining) if (!done.has(v)) { pick = v; break; }
    done.add(pick);
    order.push(pick);
    for (const w of outs.get(pick) ?? []) indeg.set(w, indeg.get(w)! - 1);
  }
  return { order, kept };
}

export function compile(g: Genome): Program {
  const nIn = g.nIn, nOut = g.nOut;
  const { order } = evaluationOrder(g);
  const nEval = order.length;
  const slot = new Map<number, number>();
  for (let i = 0; i < nIn; i++) slot.set(i, i);
  order.forEach((id, k) => slot.set(id, nIn + k));
  const nodeById = new Map(g.nodes.map((n) => [n.id, n]));
  const byTarget = new Map<number, Array<{ s: number; w: number }>>();
  let nConn = 0;
  let recurrent = false;
  for (const c of g.conns) {
    if (!c.enabled) continue;
    const t = slot.get(c.to), s = slot.get(c.from);
    if (t === undefined || s === undefined) continue; // target not kept, or source cannot matter
    if (s >= nIn && s >= t) recurrent = true;
    let l = byTarget.get(c.to);
    if (!l) byTarget.set(c.to, (l = []));
    l.push({ s, w: c.weight });
    nConn++;
  }
  const start = new Int32Array(nEval + 1);
  const src = new Int32Array(nConn);
  const weight = new Float64Array(nConn);
  const act = new Uint8Array(nEval);
  const bias = new Float64Array(nEval);
  const nodeIds = new Int32Array(nEval);
  let p = 0;
  for (let k = 0; k < nEval; k++) {
    const id = order[k]!;
    const node = nodeById.get(id)!;
    nodeIds[k] = id;
    act[k] = ACT_CODE[node.activation];
    bias[k] = node.bias;
    start[k] = p;
    for (const e of byTarget.get(id) ?? []) { src[p] = e.s; weight[p] = e.w; p++; }
  }
  start[nEval] = p;
  const outSlot = new Int32Array(nOut);
  for (let o = 0; o < nOut; o++) outSlot[o] = slot.get(nIn + o)!;
  return { nIn, nOut, nEval, nSlots: nIn + nEval, start, src, weight, act, bias, outSlot, nodeIds, recurrent };
}

export type RecurrentMode = 'back-edge-delay' | 'synchronous';

/** A stateful controller: one step per activate() call; reset() zeroes the state. */
export class Stepper {
  readonly p: Program;
  readonly mode: RecurrentMode;
  private v: Float64Array;
  private prev: Float64Array;

  constructor(p: Program, mode: RecurrentMode = 'back-edge-delay') {
    this.p = p;
    this.mode = mode;
    this.v = new Float64Array(p.nSlots);
    this.prev = new Float64Array(p.nSlots);
  }

  reset(): void { this.v.fill(0); this.prev.fill(0); }

  /** One step; writes nOut outputs into out. */
  activate(input: ArrayLike<number>, out: Float64Array): void {
    const { nIn, nEval, start, src, weight, act, bias, outSlot } = this.p;
    let v = this.v;
    let r = v; // read buffer
    if (this.mode === 'synchronous') {
      r = this.v; v = this.prev; // compute new values into the other buffer from the previous ones
    }
    for (let i = 0; i < nIn; i++) { v[i] = input[i]!; r[i] = input[i]!; }
    for (let k = 0; k < nEval; k++) {
      let s = bias[k]!;
      const e = start[k + 1]!;
      for (let c = start[k]!; c < e; c++) s += weight[c]! * r[src[c]!]!;
      v[nIn + k] = act[k] === 0 ? 1 / (1 + Math.exp(-4.9 * s)) : activate(act[k]!, s);
    }
    if (this.mode === 'synchronous') { this.prev = r; this.v = v; }
    for (let o = 0; o < outSlot.length; o++) out[o] = v[outSlot[o]!]!;
  }
}

/**
 * Batch evaluation of one step from a zero state (for an acyclic program: the network's output) over B
 * inputs, batch-last: input [nIn × B], output [nOut × B]. Buffers are reused between calls.
 */
export class BatchEvaluator {
  readonly p: Program;
  private cap = 0;
  private v = new Float64Array(0);
  private acc = new Float64Array(0);

  constructor(p: Program) { this.p = p; }

  run(input: Float64Array, B: number, out: Float64Array): void {
    const { nIn, nEval, start, src, weight, act, bias, outSlot, nSlots } = this.p;
    if (B > this.cap) { this.cap = B; this.v = new Float64Array(nSlots * B); this.acc = new Float64Array(B); }
    const v = this.v, acc = this.acc;
    v.set(input.subarray(0, nIn * B), 0);
    if (this.p.recurrent) v.fill(0, nIn * B, nSlots * B);
    for (let k = 0; k < nEval; k++) {
      const b0 = bias[k]!;
      for (let b = 0; b < B; b++) acc[b] = b0;
      const e = start[k + 1]!;
      for (let c = start[k]!; c < e; c++) {
        const w = weight[c]!, off = src[c]! * B;
        for (let b = 0; b < B; b++) acc[b] += w * v[off + b]!;
      }
      const dst = (nIn + k) * B;
      const a = act[k]!;
      if (a === 0) for (let b = 0; b < B; b++) v[dst + b] = 1 / (1 + Math.exp(-4.9 * acc[b]!));
      else for (let b = 0; b < B; b++) v[dst + b] = activate(a, acc[b]!);
    }
    for (let o = 0; o < outSlot.length; o++) {
      const so = outSlot[o]! * B;
      for (let b = 0; b < B; b++) out[o * B + b] = v[so + b]!;
    }
  }
}
