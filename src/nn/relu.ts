// Stand-alone ReLU, for models built layer by layer (Linear and Conv2d also fuse it).
import type { Backend, F32 } from '../backend/backend.js';
import { Scratch, numel, type Layer, type Param } from './layer.js';

export class ReLU implements Layer {
  readonly outShape: readonly number[];
  private readonly out = new Scratch();
  private y: F32 = new Float32Array(0);

  constructor(readonly name: string, readonly inShape: readonly number[]) { this.outShape = inShape; }

  forward(be: Backend, x: F32, n: number): F32 {
    const len = numel(this.inShape) * n;
    const y = this.out.get(len);
    y.set(x.subarray(0, len));
    be.reluBackward(x, y, len); // zeroes y where x <= 0: y = max(0, x)
    this.y = y;
    return y;
  }

  backward(be: Backend, dy: F32, n: number, needInput: boolean): F32 | null {
    if (!needInput) return null;
    be.reluBackward(this.y, dy, numel(this.inShape) * n);
    return dy;
  }

  params(): Param[] { return []; }
}
