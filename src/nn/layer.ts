// The layer contract: explicit forward and backward, no autograd tape (as in llm.c).
// Activations are batch-last: a layer sees x as [inFeatures × n] (convolutions read that as [C×H×W×n]).
import type { Backend, F32 } from '../backend/backend.js';

/**
 * How a parameter's stored order maps to its canonical one (a sparse weight's values stored column by column; canonical
 * is row-major over the kept weights): what optimizer state is saved and remapped in.
 */
export interface ParamLayout {
  /** A new array: `a` (stored order) in canonical order. */
  toCanonical(a: F32): F32;
  /** `a` (canonical order) written into `into` in stored order. */
  fromCanonical(a: F32, into: F32): void;
}

/** A trainable array and its gradient (same length). For sparse weights both hold only the nonzeros. */
export interface Param {
  readonly name: string;
  readonly value: F32;
  readonly grad: F32;
  /** Absent: stored in canonical order. */
  readonly layout?: ParamLayout | null;
}

export interface Layer {
  readonly name: string;
  /** Per-sample input and output shapes, e.g. [784] or [64, 28, 28]. */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /**
   * Computes the output for n samples and returns the layer's own output buffer ([outFeatures × n]).
   * The layer keeps x (and whatever else backward needs) until the next forward.
   */
  forward(be: Backend, x: F32, n: number): F32;
  /**
   * Given dL/dy for the last forward, accumulates parameter gradients (overwriting them) and, when
   * needInput is true, returns dL/dx ([inFeatures × n]); otherwise returns null and skips that work.
   * dy may be modified in place.
   */
  backward(be: Backend, dy: F32, n: number, needInput: boolean): F32 | null;
  params(): Param[];
}

/** An empty array: "none" for the optional arrays of the fused kernels. */
export const NONE: F32 = new Float32Array(0);

/** a[i] += b[i] on the backend: sgdStep with lr −1 and no decay computes exactly a − (−1)·(b + 0·a) = a + b. */
export function addInto(be: Backend, a: F32, b: F32, len: number): void { be.sgdStep(a, b, len, -1, 0); }

/**
 * n rounded up to whole 64-byte vectors (16 floats): the row stride at which a sparse layer's kernels read activations
 * in place (a Linear first layer's input, a sparse ReLU layer's output gradient) instead of copying them aligned first.
 */
export function paddedStride(n: number): number { return Math.ceil(n / 16) * 16; }

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A growable scratch buffer: returns an array with at least `len` floats, reusing it across steps.
 * Given a backend with `allocActivations` and `aligned` set (the GPT's buffers), a new array starts on a
 * 64-byte boundary, so the sparse kernels read it in place; other models keep plain arrays.
 */
export class Scratch {
  private buf: F32 = new Float32Array(0);
  constructor(private readonly aligned = false) {}
  get(len: number, be?: Backend): F32 {
    if (this.buf.length < len) this.buf = this.aligned && be?.allocActivations ? be.allocActivations(len) : new Float32Array(len);
    return this.buf;
  }
}
