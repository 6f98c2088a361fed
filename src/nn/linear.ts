// Fully connected layer: y[out × n] = act(W[out × in] · x[in × n] + b). Dense or sparse storage.
import type { Backend, F32 } from '../backend/backend.js';
import { NONE, paddedStride, Scratch, type Param } from './layer.js';
import { WeightLayer, type Activation, type StorageOptions } from './weight-layer.js';

export class Linear extends WeightLayer {
  readonly kind = 'fc' as const;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  private readonly out = new Scratch(this.storageOptions.alignedActivations);
  private readonly dx = new Scratch(this.storageOptions.alignedActivations);
  /** The output gradient through the ReLU, rows padded to whole vectors and aligned (see backward). */
  private readonly dyPadded = new Scratch(true);
  private x: F32 = new Float32Array(0);
  private ldx = 0;
  private y: F32 = new Float32Array(0);
  /** false: no bias parameter (it stays 0 and the bias kernels are skipped), as nanoGPT's bias=False */
  hasBias = true;

  constructor(name: string, inFeatures: number, outFeatures: number, activation: Activation, options: StorageOptions = {}) {
    super(name, outFeatures, inFeatures, activation, options);
    this.inShape = [inFeatures];
    this.outShape = [outFeatures];
  }

  fans(): { fanIn: number; fanOut: number } {
    return { fanIn: this.weights.cols, fanOut: this.weights.rows };
  }

  /**
   * The GPT's blocks: res (a residual [out × n]) is added to y, and gelu gets GELU(y), fused with the product where the
   * storage allows; the returned y is then GELU'(y), not y (only the GELU's backward needs it: see backward's geluGrad).
   * ldx: x's rows lie ldx apart (a network's input laid out padded and aligned, which the sparse kernels read in place).
   */
  forward(be: Backend, x: F32, n: number, gelu: F32 | null = null, res: F32 | null = null, ldx = n): F32 {
    this.x = x;
    this.ldx = ldx;
    const y = this.out.get(this.weights.rows * n, be);
    if ((gelu || res) && this.activation === 'relu') throw new Error('Linear: GELU or a residual after a ReLU layer');
    if ((this.hasBias || gelu || res) && this.activation === 'none') this.weights.forwardBias(be, x, n, y, this.hasBias ? this.bias : NONE, gelu, res, ldx);
    else {
      this.weights.forward(be, x, n, y, ldx);
      if (this.hasBias || this.activation === 'relu') be.biasActivation(y, this.bias, this.weights.rows, n, this.activation === 'relu');
    }
    this.y = y;
    return y;
  }

  override params(): Param[] { return this.hasBias ? super.params() : super.params().slice(0, 1); }

  /** geluGrad: the derivative of the GELU that produced this layer's x (forward's y with gelu); the returned dx is then already through its backward. */
  backward(be: Backend, dy: F32, n: number, needInput: boolean, geluGrad: F32 | null = null): F32 | null {
    const rows = this.weights.rows;
    const dx = needInput ? this.dx.get(this.weights.cols * n, be) : null;
    // A sparse layer's fused backward reads dy in place when its rows are aligned at a stride of whole vectors, else
    // it copies dy so first: the ReLU's backward writes it so at no extra cost (out of place instead of in place).
    let g = dy, ld = n;
    if (this.activation === 'relu' && dx && this.weights.readsPaddedGrad) {
      ld = paddedStride(n);
      g = this.dyPadded.get(rows * ld, be);
      be.reluBackwardTo(this.y, dy, rows, n, g, ld);
    } else if (this.activation === 'relu') be.reluBackward(this.y, dy, rows * n);
    if (this.denseGradOut) be.gemm(false, true, rows, this.weights.cols, n, 1, g, ld, this.x, this.ldx, 0, this.denseGradOut, this.weights.cols);
    this.weights.backward(be, g, this.x, n, dx, this.hasBias ? this.biasGrad : null, geluGrad, this.ldx, ld);  // (the bias gradient: rowSum of dy)
    return dx;
  }
}
