// Max pooling over [C×H×W×n] activations, window k, stride k by default, no padding.
import type { Backend, F32 } from '../backend/backend.js';
import { outSize } from '../backend/backend.js';
import { Scratch, numel, type Layer, type Param } from './layer.js';

export class MaxPool2d implements Layer {
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  private readonly out = new Scratch();
  private readonly dx = new Scratch();
  private argmax = new Int32Array(0);

  constructor(readonly name: string, inShape: readonly [number, number, number], readonly kernel = 2, readonly stride = kernel) {
    this.inShape = inShape;
    this.outShape = [inShape[0], outSize(inShape[1], kernel, stride, 0), outSize(inShape[2], kernel, stride, 0)];
  }

  forward(be: Backend, x: F32, n: number): F32 {
    const len = numel(this.outShape) * n;
    const y = this.out.get(len);
    if (this.argmax.length < len) this.argmax = new Int32Array(len);
    const [c, h, w] = this.inShape as [number, number, number];
    be.maxPoolForward(x, c, h, w, n, this.kernel, this.stride, y, this.argmax);
    return y;
  }

  backward(be: Backend, dy: F32, n: number, needInput: boolean): F32 | null {
    if (!needInput) return null;
    const inLen = numel(this.inShape) * n;
    const dx = this.dx.get(inLen);
    be.maxPoolBackward(dy, this.argmax, numel(this.outShape) * n, dx, inLen);
    return dx;
  }

  params(): Param[] { return []; }
}
