// The reference backend: plain TypeScript, written to be obviously correct rather than fast.
// It is the oracle every native kernel is diffed against, and the fallback when the addon is absent.
// Each kernel follows its definition in backend.ts literally (loops in definition order, float64
// accumulators), so it changes only when the definition does.
import type { Backend, F32, F64, I32, InferenceLayer, InferenceNet, PreparedSparse, U8, ValueOrder } from './backend.js';
import { outSize } from './backend.js';
import { activate } from './activations.js';
import { nm24MatvecReference } from './nm24-reference.js';
import { prepareDecoderReference, prepareMatvecReference } from './decoder-reference.js';
import {
  causalAttentionBackward, causalAttentionForward, embeddingGather, embeddingScatterAdd, geluBackward, geluBackwardFromGrad, geluForward, geluForwardWithGrad, layerNormBackward, layerNormForward,
} from './transformer-reference.js';

function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: F32, lda: number, b: F32, ldb: number, beta: number, c: F32, ldc: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = transB ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += av * bv;
      }
      const idx = i * ldc + j;
      c[idx] = beta === 0 ? alpha * s : alpha * s + beta * c[idx]!;
    }
  }
}

function spmm(rows: number, _cols: number, rowPtr: I32, colIdx: I32, values: F32,
  x: F32, n: number, beta: number, y: F32, ldx = n): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = rowPtr[r]!; p < rowPtr[r + 1]!; p++) s += values[p]! * x[colIdx[p]! * ldx + j]!;
      const idx = r * n + j;
      y[idx] = beta === 0 ? s : s + beta * y[idx]!;
    }
  }
}

function spmmT(_rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
  dy: F32, n: number, beta: number, dx: F32): void {
  for (let c = 0; c < cols; c++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = colPtr[c]!; q < colPtr[c + 1]!; q++) s += values[perm[q]!]! * dy[rowIdx[q]! * n + j]!;
      const idx = c * n + j;
      dx[idx] = beta === 0 ? s : s + beta * dx[idx]!;
    }
  }
}

function sddmm(rows: number, rowPtr: I32, colIdx: I32, dy: F32, x: F32, n: number, out: F32, ldx = n): void {
  for (let r = 0; r < rows; r++) {
    for (let p = rowPtr[r]!; p < rowPtr[r + 1]!; p++) {
      let s = 0;
      const c = colIdx[p]!;
      for (let j = 0; j < n; j++) s += dy[r * n + j]! * x[c * ldx + j]!;
      out[p] = s;
    }
  }
}

// The obvious loops, one output at a time (the native kernel fuses spmmT and sddmm; this twin does not).
function sparseBackward(rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
  dy: F32, x: F32, n: number, beta: number, dx: F32, grad: F32, ldx = n, ldy = n): void {
  spmmT(rows, cols, colPtr, rowIdx, perm, values, ldy === n ? dy : unpad(dy, rows, n, ldy), n, beta, dx);
  for (let c = 0; c < cols; c++) {
    for (let q = colPtr[c]!; q < colPtr[c + 1]!; q++) {
      const r = rowIdx[q]!;
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[r * ldy + j]! * x[c * ldx + j]!;
      grad[perm[q]!] = s;
    }
  }
}

// The GPT's fused kernels as the separate reference loops.
function sparseBackwardWide(rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
  dy: F32, x: F32, n: number, beta: number, dx: F32, grad: F32, biasGrad: F32, geluGrad: F32): void {
  sparseBackward(rows, cols, colPtr, rowIdx, perm, values, dy, x, n, beta, dx, grad);
  if (biasGrad.length > 0) rowSum(dy, rows, n, biasGrad);
  if (geluGrad.length > 0) geluBackwardFromGrad(geluGrad, dx, dx, cols * n);
}
function spmmWide(rows: number, cols: number, rowPtr: I32, colIdx: I32, values: F32, x: F32, n: number, bias: F32, res: F32, y: F32, gelu: F32): void {
  spmm(rows, cols, rowPtr, colIdx, values, x, n, 0, y);
  if (bias.length > 0) biasActivation(y, bias, rows, n, false);
  if (res.length > 0) for (let i = 0; i < rows * n; i++) y[i] = y[i]! + res[i]!;
  if (gelu.length > 0) geluForwardWithGrad(y, gelu, y, rows * n);
}

function biasActivation(y: F32, bias: F32, rows: number, n: number, relu: boolean): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const v = y[r * n + j]! + bias[r]!;
      y[r * n + j] = relu && !(v > 0) ? 0 : v;
    }
  }
}

function reluBackward(y: F32, dy: F32, len: number): void {
  for (let i = 0; i < len; i++) if (!(y[i]! > 0)) dy[i] = 0;
}

function reluBackwardTo(y: F32, dy: F32, rows: number, n: number, out: F32, ld: number): void {
  out.fill(0, 0, rows * ld);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) if (y[r * n + j]! > 0) out[r * ld + j] = dy[r * n + j]!;
}

/** Rows ld apart copied packed ([rows × n]). */
function unpad(a: F32, rows: number, n: number, ld: number): F32 {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * ld, r * ld + n), r * n);
  return out;
}

function rowSum(dy: F32, rows: number, n: number, out: F32, ld = n): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += dy[r * ld + j]!;
    out[r] = s;
  }
}

function softmaxCrossEntropy(logits: F32, labels: I32, classes: number, n: number, grad: F32): number {
  let loss = 0;
  for (let j = 0; j < n; j++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[c * n + j]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[c * n + j]! - max);
    const label = labels[j]!;
    loss += Math.log(sum) - (logits[label * n + j]! - max);
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[c * n + j]! - max) / sum;
      grad[c * n + j] = (p - (c === label ? 1 : 0)) / n;
    }
  }
  return loss;
}

function countCorrect(logits: F32, labels: I32, classes: number, n: number): number {
  let correct = 0;
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[c * n + j]! > logits[best * n + j]!) best = c;
    if (best === labels[j]) correct++;
  }
  return correct;
}

function applyMask(x: F32, mask: U8, len: number): void {
  for (let i = 0; i < len; i++) if (!mask[i]) x[i] = 0;
}

function gatherColumns(src: F32, features: number, idx: I32, batch: number, out: F32, ld = batch): void {
  for (let f = 0; f < features; f++) {
    for (let b = 0; b < batch; b++) out[f * ld + b] = src[idx[b]! * features + f]!;
    out.fill(0, f * ld + batch, f * ld + ld);
  }
}

function sgdStep(w: F32, g: F32, len: number, lr: number, weightDecay: number): void {
  for (let i = 0; i < len; i++) w[i] = w[i]! - lr * (g[i]! + weightDecay * w[i]!);
}

function momentumStep(w: F32, g: F32, v: F32, len: number, lr: number, mu: number, weightDecay: number): void {
  for (let i = 0; i < len; i++) {
    v[i] = mu * v[i]! + (g[i]! + weightDecay * w[i]!);
    w[i] = w[i]! - lr * v[i]!;
  }
}

function adamStep(w: F32, g: F32, m: F32, v: F32, len: number, lr: number, beta1: number, beta2: number,
  eps: number, step: number): void {
  const c1 = 1 - Math.pow(beta1, step), c2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < len; i++) {
    m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
    v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
    w[i] = w[i]! - lr * (m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps);
  }
}

function im2col(x: F32, c: number, h: number, w: number, batch: number, kh: number, kw: number,
  stride: number, pad: number, col: F32): void {
  const oh = outSize(h, kh, stride, pad), ow = outSize(w, kw, stride, pad);
  for (let ch = 0; ch < c; ch++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const row = (ch * kh + ky) * kw + kx;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      for (let b = 0; b < batch; b++) {
        col[row * (oh * ow * batch) + (oy * ow + ox) * batch + b] =
          inside ? x[((ch * h + iy) * w + ix) * batch + b]! : 0;
      }
    }
  }
}

function col2im(col: F32, c: number, h: number, w: number, batch: number, kh: number, kw: number,
  stride: number, pad: number, dx: F32): void {
  const oh = outSize(h, kh, stride, pad), ow = outSize(w, kw, stride, pad);
  dx.fill(0, 0, c * h * w * batch);
  for (let ch = 0; ch < c; ch++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const row = (ch * kh + ky) * kw + kx;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      for (let b = 0; b < batch; b++) {
        dx[((ch * h + iy) * w + ix) * batch + b] =
          dx[((ch * h + iy) * w + ix) * batch + b]! + col[row * (oh * ow * batch) + (oy * ow + ox) * batch + b]!;
      }
    }
  }
}

function maxPoolForward(x: F32, c: number, h: number, w: number, batch: number, k: number, stride: number,
  y: F32, argmax: I32): void {
  const oh = outSize(h, k, stride, 0), ow = outSize(w, k, stride, 0);
  for (let ch = 0; ch < c; ch++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    for (let b = 0; b < batch; b++) {
      let best = -Infinity, bestIdx = -1;
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const idx = ((ch * h + oy * stride + ky) * w + ox * stride + kx) * batch + b;
        if (bestIdx < 0 || x[idx]! > best) { best = x[idx]!; bestIdx = idx; }
      }
      const o = ((ch * oh + oy) * ow + ox) * batch + b;
      y[o] = best;
      argmax[o] = bestIdx;
    }
  }
}

function maxPoolBackward(dy: F32, argmax: I32, outLen: number, dx: F32, inLen: number): void {
  dx.fill(0, 0, inLen);
  for (let i = 0; i < outLen; i++) dx[argmax[i]!] = dx[argmax[i]!]! + dy[i]!;
}

function neatForward(nIn: number, nEval: number, start: I32, src: I32, weight: F64, act: U8, bias: F64,
  values: F64, B: number, keepState: boolean): void {
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

function neatForwardMany(G: number, nIn: number, nOut: number, nodeOff: I32, start: I32, src: I32, weight: F64,
  act: U8, bias: F64, outSlot: I32, input: F64, B: number, values: F64, out: F64): void {
  values.set(input.subarray(0, nIn * B));
  for (let g = 0; g < G; g++) {
    const k0 = nodeOff[g]!, nEval = nodeOff[g + 1]! - k0;
    neatForward(nIn, nEval, start.subarray(k0), src, weight, act.subarray(k0), bias.subarray(k0), values, B, false);
    for (let o = 0; o < nOut; o++) {
      const slot = outSlot[g * nOut + o]!;
      out.set(values.subarray(slot * B, slot * B + B), (g * nOut + o) * B);
    }
  }
}

function neatExp(x: F64, y: F64, n: number): void {
  for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!);
}

function prepareInference(layers: InferenceLayer[]): InferenceNet {
  const copy = layers.map((l, i) => {
    if (i > 0 && l.cols !== layers[i - 1]!.rows) throw new Error(`prepareInference: layer ${i} has ${l.cols} inputs, layer ${i - 1} ${layers[i - 1]!.rows} outputs`);
    if (l.format === '2:4' && (l.rowPtr || !l.offsets || l.cols % 4 !== 0)) throw new Error(`prepareInference: layer ${i} is 2:4 without offsets, with CSR arrays, or with cols ${l.cols} not a multiple of 4`);
    return { ...l, values: Float32Array.from(l.values), bias: Float32Array.from(l.bias), rowPtr: l.rowPtr && Int32Array.from(l.rowPtr), colIdx: l.colIdx && Int32Array.from(l.colIdx), offsets: l.offsets && Uint8Array.from(l.offsets) };
  });
  return {
    forward(x: F32, n: number, out: F32): void {
      let h = x;
      copy.forEach((l, i) => {
        const y = i === copy.length - 1 ? out : new Float32Array(l.rows * n);
        if (l.format === '2:4') {
          if (n !== 1) throw new Error(`prepareInference: a 2:4 layer runs at batch 1 only, got n = ${n}`);
          nm24MatvecReference(l.rows, l.cols, l.values, l.offsets!, h, y);
        } else if (l.rowPtr && l.colIdx) spmm(l.rows, l.cols, l.rowPtr, l.colIdx, l.values, h, n, 0, y);
        else gemm(false, false, l.rows, n, l.cols, 1, l.values, l.cols, h, n, 0, y, n);
        biasActivation(y, l.bias, l.rows, n, l.relu);
        h = y;
      });
    },
  };
}

// The checks of the native patternCreate (binding.cc), then copies of the arrays and the plain kernels above.
function prepareSparse(rows: number, cols: number, rowPtr: I32, colIdx: I32, colPtr: I32, rowIdx: I32, perm: I32, order: ValueOrder = 'csr'): PreparedSparse {
  const nnz = colIdx.length;
  const fail = (msg: string): never => { throw new Error(`prepareSparse: ${msg}`); };
  if (rowPtr.length < rows + 1 || colPtr.length < cols + 1) fail(`rowPtr needs ${rows + 1} and colPtr ${cols + 1} elements, got ${rowPtr.length} and ${colPtr.length}`);
  if (rowPtr[0] !== 0 || rowPtr[rows] !== nnz) fail(`rowPtr must run from 0 to nnz = colIdx.length = ${nnz}, got ${rowPtr[0]} .. ${rowPtr[rows]}`);
  if (colPtr[0] !== 0 || colPtr[cols] !== nnz) fail(`colPtr must run from 0 to nnz = colIdx.length = ${nnz}, got ${colPtr[0]} .. ${colPtr[cols]}`);
  if (rowIdx.length !== nnz || perm.length !== nnz) fail(`rowIdx and perm must have nnz = ${nnz} elements, got ${rowIdx.length} and ${perm.length}`);
  const rowOf = new Int32Array(nnz).fill(-1);
  for (let r = 0; r < rows; r++) {
    if (rowPtr[r + 1]! < rowPtr[r]!) fail(`rowPtr decreases at ${r}`);
    for (let p = rowPtr[r]!; p < rowPtr[r + 1]!; p++) {
      if (!(colIdx[p]! >= 0 && colIdx[p]! < cols)) fail(`colIdx[${p}] = ${colIdx[p]} is outside [0, ${cols})`);
      rowOf[p] = r;
    }
  }
  const seen = new Uint8Array(nnz);
  for (let c = 0; c < cols; c++) {
    if (colPtr[c + 1]! < colPtr[c]!) fail(`colPtr decreases at ${c}`);
    for (let q = colPtr[c]!; q < colPtr[c + 1]!; q++) {
      const p = perm[q]!;
      if (!(p >= 0 && p < nnz) || seen[p] || colIdx[p] !== c || rowOf[p] !== rowIdx[q] || (q > colPtr[c]! && rowIdx[q]! <= rowIdx[q - 1]!)) {
        fail(`colPtr, rowIdx and perm are not the CSC index of rowPtr and colIdx (at column ${c}, entry ${q})`);
      }
      seen[p] = 1;
    }
  }
  const [rp, ci, cp, ri, pm] = [rowPtr, colIdx, colPtr, rowIdx, perm].map((a) => Int32Array.from(a)) as [I32, I32, I32, I32, I32];
  if (order === 'csr') {
    return {
      rows, cols, nnz, order,
      spmm: (values, x, n, y, ldx) => spmm(rows, cols, rp, ci, values, x, n, 0, y, ldx),
      sddmm: (dy, x, n, out, ldx) => sddmm(rows, rp, ci, dy, x, n, out, ldx),
      backward: (values, dy, x, n, dx, grad, ldx, ldy) => sparseBackward(rows, cols, cp, ri, pm, values, dy, x, n, 0, dx, grad, ldx, ldy),
    };
  }
  // CSC-ordered values: the CSR kernels on a CSR-ordered copy, the gradient permuted back (the same sums).
  const csrOf = (a: F32): F32 => { const out = new Float32Array(nnz); for (let i = 0; i < nnz; i++) out[pm[i]!] = a[i]!; return out; };
  const cscInto = (a: F32, out: F32): void => { for (let i = 0; i < nnz; i++) out[i] = a[pm[i]!]!; };
  const grad = new Float32Array(nnz);
  return {
    rows, cols, nnz, order,
    spmm: (values, x, n, y, ldx) => spmm(rows, cols, rp, ci, csrOf(values), x, n, 0, y, ldx),
    sddmm: (dy, x, n, out, ldx) => { sddmm(rows, rp, ci, dy, x, n, grad, ldx); cscInto(grad, out); },
    backward: (values, dy, x, n, dx, out, ldx, ldy) => {
      sparseBackward(rows, cols, cp, ri, pm, csrOf(values), dy, x, n, 0, dx, grad, ldx, ldy);
      cscInto(grad, out);
    },
  };
}

export const referenceBackend: Backend = {
  name: 'reference',
  detail: 'plain TypeScript',
  gemm, spmm, spmmT, sddmm, sparseBackward, sddmmWide: sddmm, sparseBackwardWide, spmmWide,
  biasActivation, reluBackward, reluBackwardTo, rowSum, softmaxCrossEntropy, softmaxCrossEntropyWide: softmaxCrossEntropy,
  countCorrect, applyMask, gatherColumns,
  embeddingGather, embeddingScatterAdd,
  sgdStep, momentumStep, adamStep,
  im2col, col2im, maxPoolForward, maxPoolBackward,
  geluForward, geluBackward, geluForwardWithGrad, geluBackwardFromGrad, layerNormForward, layerNormBackward,
  causalAttentionForward, causalAttentionBackward,
  neatForward, neatForwardMany, neatExp,
  prepareInference,
  prepareDecoder: prepareDecoderReference,
  prepareMatvec: prepareMatvecReference,
  prepareSparse,
};
