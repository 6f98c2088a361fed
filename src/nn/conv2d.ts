// 2-D convolution by im2col: with batch-last activations x [C×H×W×n], the column matrix is
// col [(C·k·k) × (OH·OW·n)] and the output y [Cout × (OH·OW·n)] = W [Cout × C·k·k] · col is
// already in the batch-last layout [Cout×OH×OW×n]. Sparse weights use the same SpMM kernels.
import type { Backend, F32 } from '../backend/backend.js';
import { outSize } from '../backend/backend.js';
import { Scratch } from './layer.js';
import { WeightLayer, type Activation, type StorageOptions } from './weight-layer.js';

export interface Conv2dShape { inChannels: number; height: number; width: number; outChannels: number; kernel: number; stride: number; pad: number }

export class Conv2d extends WeightLayer {
  readonly kind = 'conv' as const;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly shape: Conv2dShape;
  private readonly col = new Scratch();
  private readonly out = new Scratch();
  private readonly dcol = new Scratch();
  private readonly dx = new Scratch();
  private y: F32 = new Float32Array(0);

  constructor(name: string, shape: Conv2dShape, activation: Activation, options: StorageOptions = {}) {
    super(name, shape.outChannels, shape.inChannels * shape.kernel * shape.kernel, activation, options,
      outSize(shape.height, shape.kernel, shape.stride, shape.pad) * outSize(shape.width, shape.kernel, shape.stride, shape.pad));
    this.shape = shape;
    this.inShape = [shape.inChannels, shape.height, shape.width];
    this.outShape = [shape.outChannels, outSize(shape.height, shape.kernel, shape.stride, shape.pad),
      outSize(shape.width, shape.kernel, shape.stride, shape.pad)];
  }

  fans(): { fanIn: number; fanOut: number } {
    const area = this.shape.kernel * this.shape.kernel;
    return { fanIn: this.shape.inChannels * area, fanOut: this.shape.outChannels * area };
  }

  /** Columns of the im2col matrix for n samples: OH·OW·n. */
  private columns(n: number): number { return this.outShape[1]! * this.outShape[2]! * n; }

  forward(be: Backend, x: F32, n: number): F32 {
    const s = this.shape, cols = this.columns(n);
    const col = this.col.get(this.weights.cols * cols);
    be.im2col(x, s.inChannels, s.height, s.width, n, s.kernel, s.kernel, s.stride, s.pad, col);
    const y = this.out.get(this.weights.rows * cols);
    this.weights.forward(be, col, cols, y);
    be.biasActivation(y, this.bias, this.weights.rows, cols, this.activation === 'relu');
    this.y = y;
    return y;
  }

  backward(be: Backend, dy: F32, n: number, needInput: boolean): F32 | null {
    const s = this.shape, cols = this.columns(n), rows = this.weights.rows;
    if (this.activation === 'relu') be.reluBackward(this.y, dy, rows * cols);
    be.rowSum(dy, rows, cols, this.biasGrad);
    const col = this.col.get(this.weights.cols * cols);
    if (this.denseGradOut) be.gemm(false, true, rows, this.weights.cols, cols, 1, dy, cols, col, cols, 0, this.denseGradOut, this.weights.cols);
    const dcol = needInput ? this.dcol.get(this.weights.cols * cols) : null;
    this.weights.backward(be, dy, col, cols, dcol);
    if (!dcol) return null;
    const dx = this.dx.get(s.inChannels * s.height * s.width * n);
    be.col2im(dcol, s.inChannels, s.height, s.width, n, s.kernel, s.kernel, s.stride, s.pad, dx);
    return dx;
  }
}
