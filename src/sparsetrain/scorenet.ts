// A float64 copy of a network for the scores of pruning at initialization: forward, backward, and the
// Hessian-vector product (Pearlmutter's R-operator: forward-over-reverse, exact, no finite differences), over
// the layers winnow builds (fully connected and convolution with ReLU or none, max-pool, flatten) with softmax
// cross-entropy at temperature T. Written plainly: it is the reference the scores are checked against, and the
// scores are computed once per run, so float64 and simple loops cost little. Activations are batch-last
// [features × n] as everywhere in winnow; a convolution is W · im2col(x) with the backends' column order.
import { Conv2d } from '../nn/conv2d.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { MaxPool2d } from '../nn/maxpool.js';
import type { Sequential } from '../nn/sequential.js';

type F64 = Float64Array;

export interface WeightOp {
  kind: 'weight';
  name: string;
  rows: number;
  cols: number;
  relu: boolean;
  /** [rows × cols] row-major; pruned weights are 0 */
  w: F64;
  b: F64;
  /** convolutions: the im2col geometry; null for a dense layer */
  conv: { c: number; h: number; wd: number; k: number; stride: number; pad: number; oh: number; ow: number } | null;
}
export interface PoolOp { kind: 'pool'; c: number; h: number; wd: number; k: number; stride: number; oh: number; ow: number }
export type ScoreOp = WeightOp | PoolOp;

/** The network as float64 ops (flatten is the identity in batch-last layout and disappears). */
export function scoreOps(model: Sequential): ScoreOp[] {
  const ops: ScoreOp[] = [];
  for (const l of model.layers) {
    if (l instanceof Linear || l instanceof Conv2d) {
      const s = l instanceof Conv2d ? l.shape : null;
      ops.push({
        kind: 'weight', name: l.name, rows: l.weights.rows, cols: l.weights.cols, relu: l.activation === 'relu',
        w: Float64Array.from(l.weights.toDense()), b: Float64Array.from(l.bias),
        conv: s ? { c: s.inChannels, h: s.height, wd: s.width, k: s.kernel, stride: s.stride, pad: s.pad, oh: l.outShape[1]!, ow: l.outShape[2]! } : null,
      });
    } else if (l instanceof MaxPool2d) {
      const [c, h, wd] = l.inShape as [number, number, number];
      ops.push({ kind: 'pool', c, h, wd, k: l.kernel, stride: l.stride, oh: l.outShape[1]!, ow: l.outShape[2]! });
    } else if (!(l instanceof Flatten)) {
      throw new Error(`scoreOps: layer ${l.name} has no float64 counterpart`);
    }
  }
  return ops;
}

/** Columns a weight op multiplies for n samples (n for a dense layer, OH·OW·n for a convolution). */
const columns = (op: WeightOp, n: number): number => op.conv ? op.conv.oh * op.conv.ow * n : n;

function im2col(op: WeightOp, x: F64, n: number): F64 {
  const g = op.conv;
  if (!g) return x;
  const cols = g.oh * g.ow * n, col = new Float64Array(op.cols * cols);
  for (let ch = 0; ch < g.c; ch++) for (let ky = 0; ky < g.k; ky++) for (let kx = 0; kx < g.k; kx++) {
    const row = (ch * g.k + ky) * g.k + kx;
    for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) {
      const iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
      if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.wd) continue;
      for (let b = 0; b < n; b++) col[row * cols + (oy * g.ow + ox) * n + b] = x[((ch * g.h + iy) * g.wd + ix) * n + b]!;
    }
  }
  return col;
}

function col2im(op: WeightOp, col: F64, n: number): F64 {
  const g = op.conv;
  if (!g) return col;
  const cols = g.oh * g.ow * n, dx = new Float64Array(g.c * g.h * g.wd * n);
  for (let ch = 0; ch < g.c; ch++) for (let ky = 0; ky < g.k; ky++) for (let kx = 0; kx < g.k; kx++) {
    const row = (ch * g.k + ky) * g.k + kx;
    for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) {
      const iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
      if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.wd) continue;
      for (let b = 0; b < n; b++) dx[((ch * g.h + iy) * g.wd + ix) * n + b] += col[row * cols + (oy * g.ow + ox) * n + b]!;
    }
  }
  return dx;
}

/** y[rows × m] = W · col[cols × m] (+ y when accumulating). */
function matmul(w: F64, rows: number, cols: number, col: F64, m: number, y: F64): void {
  for (let r = 0; r < rows; r++) {
    const yo = r * m;
    for (let c = 0; c < cols; c++) {
      const a = w[r * cols + c]!;
      if (a === 0) continue;
      const xo = c * m;
      for (let j = 0; j < m; j++) y[yo + j] += a * col[xo + j]!;
    }
  }
}

/** dcol[cols × m] = Wᵀ · dy[rows × m] */
function matmulT(w: F64, rows: number, cols: number, dy: F64, m: number): F64 {
  const out = new Float64Array(cols * m);
  for (let r = 0; r < rows; r++) {
    const yo = r * m;
    for (let c = 0; c < cols; c++) {
      const a = w[r * cols + c]!;
      if (a === 0) continue;
      const xo = c * m;
      for (let j = 0; j < m; j++) out[xo + j] += a * dy[yo + j]!;
    }
  }
  return out;
}

/** g[rows × cols] += dy[rows × m] · col[cols × m]ᵀ */
function outer(dy: F64, rows: number, col: F64, cols: number, m: number, g: F64): void {
  for (let r = 0; r < rows; r++) {
    const yo = r * m;
    for (let c = 0; c < cols; c++) {
      const xo = c * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += dy[yo + j]! * col[xo + j]!;
      g[r * cols + c] += s;
    }
  }
}

interface Tape { cols: F64[]; z: F64[]; argmax: Int32Array[]; out: F64 }

function forwardTape(ops: ScoreOp[], x: F64, n: number): Tape {
  const tape: Tape = { cols: [], z: [], argmax: [], out: x };
  let a = x;
  for (const op of ops) {
    if (op.kind === 'pool') {
      const len = op.c * op.oh * op.ow * n, y = new Float64Array(len), am = new Int32Array(len);
      for (let ch = 0; ch < op.c; ch++) for (let oy = 0; oy < op.oh; oy++) for (let ox = 0; ox < op.ow; ox++) for (let b = 0; b < n; b++) {
        let best = -Infinity, bi = -1;
        for (let ky = 0; ky < op.k; ky++) for (let kx = 0; kx < op.k; kx++) {
          const idx = ((ch * op.h + oy * op.stride + ky) * op.wd + ox * op.stride + kx) * n + b;
          if (bi < 0 || a[idx]! > best) { best = a[idx]!; bi = idx; }
        }
        const o = ((ch * op.oh + oy) * op.ow + ox) * n + b;
        y[o] = best; am[o] = bi;
      }
      tape.cols.push(new Float64Array(0)); tape.z.push(new Float64Array(0)); tape.argmax.push(am);
      a = y;
      continue;
    }
    const m = columns(op, n), col = im2col(op, a, n), z = new Float64Array(op.rows * m);
    for (let r = 0; r < op.rows; r++) z.fill(op.b[r]!, r * m, (r + 1) * m);
    matmul(op.w, op.rows, op.cols, col, m, z);
    tape.cols.push(col); tape.z.push(z); tape.argmax.push(new Int32Array(0));
    a = op.relu ? z.map((v) => (v > 0 ? v : 0)) : z;
  }
  tape.out = a;
  return tape;
}

/** Softmax of logits/T per sample (column). */
function softmaxT(logits: F64, classes: number, n: number, T: number): F64 {
  const p = new Float64Array(classes * n);
  for (let b = 0; b < n; b++) {
    let mx = -Infinity;
    for (let k = 0; k < classes; k++) mx = Math.max(mx, logits[k * n + b]! / T);
    let s = 0;
    for (let k = 0; k < classes; k++) { const e = Math.exp(logits[k * n + b]! / T - mx); p[k * n + b] = e; s += e; }
    for (let k = 0; k < classes; k++) p[k * n + b] = p[k * n + b]! / s;
  }
  return p;
}

/** Mean cross-entropy of softmax(logits/T) over the n samples. */
export function lossOf(ops: ScoreOp[], x: F64, labels: Int32Array, n: number, T = 1): number {
  const out = forwardTape(ops, x, n).out, classes = out.length / n, p = softmaxT(out, classes, n, T);
  let l = 0;
  for (let b = 0; b < n; b++) l -= Math.log(p[labels[b]! * n + b]!);
  return l / n;
}

/** Outputs [classes × n] of the network. */
export function outputsOf(ops: ScoreOp[], x: F64, n: number): F64 { return forwardTape(ops, x, n).out; }

/**
 * Backward from dL/d(output) = dOut, optionally with the R-pass for direction v (one [rows × cols] array per
 * weight op; biases get direction 0). Returns per weight op the gradient dL/dW and, with v, H·v (H the Hessian
 * of L with respect to the weights), given R(dOut) = rdOut from the caller's loss.
 */
function backward(ops: ScoreOp[], tape: Tape, n: number, dOut: F64, rdOut: F64 | null, v: F64[] | null, rActs: F64[] | null): { g: F64[]; hv: F64[] | null } {
  const weightOps = ops.filter((o): o is WeightOp => o.kind === 'weight');
  const g = weightOps.map((o) => new Float64Array(o.rows * o.cols));
  const hv = v ? weightOps.map((o) => new Float64Array(o.rows * o.cols)) : null;
  let d = dOut, rd = rdOut;
  let wi = weightOps.length;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.kind === 'pool') {
      const am = tape.argmax[i]!, inLen = op.c * op.h * op.wd * n;
      const dx = new Float64Array(inLen);
      for (let o = 0; o < am.length; o++) dx[am[o]!] += d[o]!;
      if (rd) { const rdx = new Float64Array(inLen); for (let o = 0; o < am.length; o++) rdx[am[o]!] += rd[o]!; rd = rdx; }
      d = dx;
      continue;
    }
    wi--;
    const m = columns(op, n), z = tape.z[i]!, col = tape.cols[i]!;
    // d is dL/d(this op's output activation): through the ReLU to dL/dz (R: relu'' = 0 almost everywhere).
    if (op.relu) {
      d = d.map((v2, j) => (z[j]! > 0 ? v2 : 0));
      if (rd) rd = rd.map((v2, j) => (z[j]! > 0 ? v2 : 0));
    }
    outer(d, op.rows, col, op.cols, m, g[wi]!);
    if (hv && rd && rActs) {
      outer(rd, op.rows, col, op.cols, m, hv[wi]!);
      const rcol = im2col(op, rActs[i]!, n);
      outer(d, op.rows, rcol, op.cols, m, hv[wi]!);
    }
    if (i === 0) break;
    const dx = col2im(op, matmulT(op.w, op.rows, op.cols, d, m), n);
    if (rd && v) {
      const a = col2im(op, matmulT(v[wi]!, op.rows, op.cols, d, m), n);
      const b = col2im(op, matmulT(op.w, op.rows, op.cols, rd, m), n);
      rd = a.map((x2, j) => x2 + b[j]!);
    }
    d = dx;
  }
  return { g, hv };
}

/** R-forward: the directional derivative of every op's input activation (rActs[i]) and of the output, direction v. */
function rForward(ops: ScoreOp[], tape: Tape, n: number, v: F64[]): { rActs: F64[]; rOut: F64 } {
  const rActs: F64[] = [];
  let ra: F64 = new Float64Array(tape.cols[0] ? (ops[0]!.kind === 'weight' ? 0 : 0) : 0);
  let first = true, wi = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.kind === 'pool') {
      if (first) throw new Error('rForward: a network starting with a pool');
      rActs.push(ra);
      const am = tape.argmax[i]!;
      ra = Float64Array.from(am, (src) => ra[src]!);
      continue;
    }
    const m = columns(op, n), col = tape.cols[i]!;
    if (first) { ra = new Float64Array(op.conv ? op.conv.c * op.conv.h * op.conv.wd * n : op.cols * n); first = false; }
    rActs.push(ra);
    const rz = new Float64Array(op.rows * m);
    matmul(v[wi]!, op.rows, op.cols, col, m, rz);
    matmul(op.w, op.rows, op.cols, im2col(op, ra, n), m, rz);
    const z = tape.z[i]!;
    ra = op.relu ? rz.map((x2, j) => (z[j]! > 0 ? x2 : 0)) : rz;
    wi++;
  }
  return { rActs, rOut: ra };
}

/** dL/dW per weight op for mean cross-entropy of softmax(logits/T) on (x, labels). */
export function lossGradient(ops: ScoreOp[], x: F64, labels: Int32Array, n: number, T = 1): F64[] {
  const tape = forwardTape(ops, x, n), classes = tape.out.length / n, p = softmaxT(tape.out, classes, n, T);
  const d = p.map((v, j) => (v - (Math.floor(j / n) === labels[j % n] ? 1 : 0)) / (T * n));
  return backward(ops, tape, n, d, null, null, null).g;
}

/** H·v per weight op: the Hessian of the mean cross-entropy (temperature T) with respect to the weights, times v. */
export function hessianVector(ops: ScoreOp[], x: F64, labels: Int32Array, n: number, v: F64[], T = 1): F64[] {
  const tape = forwardTape(ops, x, n), classes = tape.out.length / n, p = softmaxT(tape.out, classes, n, T);
  const d = p.map((q, j) => (q - (Math.floor(j / n) === labels[j % n] ? 1 : 0)) / (T * n));
  const { rActs, rOut } = rForward(ops, tape, n, v);
  // R(p) = p ⊙ (R(z)/T − pᵀR(z)/T) per sample; R(d) = R(p)/(T n).
  const rd = new Float64Array(p.length);
  for (let b = 0; b < n; b++) {
    let dot = 0;
    for (let k = 0; k < classes; k++) dot += p[k * n + b]! * rOut[k * n + b]!;
    for (let k = 0; k < classes; k++) rd[k * n + b] = p[k * n + b]! * (rOut[k * n + b]! - dot) / (T * T * n);
  }
  return backward(ops, tape, n, d, rd, v, rActs).hv!;
}

/** d(sum of outputs)/dW per weight op, for the input x (SynFlow's R = 1ᵀ f(1)). */
export function outputSumGradient(ops: ScoreOp[], x: F64, n: number): F64[] {
  const tape = forwardTape(ops, x, n);
  return backward(ops, tape, n, new Float64Array(tape.out.length).fill(1), null, null, null).g;
}
