// A feed-forward stack of layers ending in logits, trained with softmax cross-entropy.
import type { Backend, F32, I32, InferenceNet } from '../backend/backend.js';
import { Linear } from './linear.js';
import { Flatten } from './flatten.js';
import type { Layer, Param } from './layer.js';
import { paddedStride, Scratch } from './layer.js';
import { WeightLayer } from './weight-layer.js';

export class Sequential {
  readonly layers: Layer[];
  private readonly lossGrad = new Scratch();

  constructor(readonly spec: string, layers: Layer[]) {
    if (layers.length === 0) throw new Error('Sequential: no layers');
    for (let i = 1; i < layers.length; i++) {
      const a = layers[i - 1]!.outShape.reduce((x, y) => x * y, 1), b = layers[i]!.inShape.reduce((x, y) => x * y, 1);
      if (a !== b) throw new Error(`Sequential: ${layers[i - 1]!.name} outputs ${a} features but ${layers[i]!.name} expects ${b}`);
    }
    this.layers = layers;
  }

  get inFeatures(): number { return this.layers[0]!.inShape.reduce((a, b) => a * b, 1); }
  get classes(): number { return this.layers[this.layers.length - 1]!.outShape.reduce((a, b) => a * b, 1); }

  /** The layers that own weights, in order (the last one is the output layer). */
  weightLayers(): WeightLayer[] { return this.layers.filter((l): l is WeightLayer => l instanceof WeightLayer); }

  params(): Param[] { return this.layers.flatMap((l) => l.params()); }

  /**
   * The row stride for an input batch of n samples that the first layer reads in place: n rounded up to whole
   * 64-byte vectors when it is a Linear layer (its sparse kernels then skip their aligned copy of x; allocate x with
   * Backend.allocActivations), n otherwise.
   */
  inputStride(n: number): number {
    return this.layers[0] instanceof Linear ? paddedStride(n) : n;
  }

  /** Logits [classes × n] for inputs x [inFeatures × n], rows ldx apart (see inputStride). */
  forward(be: Backend, x: F32, n: number, ldx = n): F32 {
    const first = this.layers[0]!;
    if (ldx !== n && !(first instanceof Linear)) throw new Error(`Sequential: input stride ${ldx} ≠ ${n} needs a Linear first layer, not ${first.name}`);
    let h = first instanceof Linear ? first.forward(be, x, n, null, null, ldx) : first.forward(be, x, n);
    for (let i = 1; i < this.layers.length; i++) h = this.layers[i]!.forward(be, h, n);
    return h;
  }

  /**
   * One forward + backward pass: fills every parameter gradient with d(mean loss)/dθ and returns
   * the summed loss over the n samples.
   */
  lossAndGrad(be: Backend, x: F32, labels: I32, n: number, ldx = n): number {
    const logits = this.forward(be, x, n, ldx);
    const grad = this.lossGrad.get(this.classes * n);
    const loss = be.softmaxCrossEntropy(logits, labels, this.classes, n, grad);
    let g: F32 | null = grad;
    for (let i = this.layers.length - 1; i >= 0 && g; i--) g = this.layers[i]!.backward(be, g, n, i > 0);
    return loss;
  }

  /**
   * A prepared forward for inference: fully connected stacks (optionally after a flatten) run as
   * one backend call per forward, dense or sparse layer by layer; anything else (convolutions)
   * falls back to the layer-by-layer forward. The weights are copied: prepare again after training.
   */
  prepareInference(be: Backend): InferenceNet {
    const fc = this.layers.filter((l) => !(l instanceof Flatten));
    if (fc.every((l) => l instanceof Linear)) {
      return be.prepareInference((fc as Linear[]).map((l) => {
        const csr = l.weights.csr();
        return { rows: l.weights.rows, cols: l.weights.cols, relu: l.activation === 'relu', bias: l.bias,
          ...(csr ? { values: csr.values, rowPtr: csr.rowPtr, colIdx: csr.colIdx } : { values: l.weights.value }) };
      }));
    }
    return { forward: (x, n, out) => out.set(this.forward(be, x, n).subarray(0, this.classes * n)) };
  }

  /** Summed loss and number correct for n samples (forward only). */
  evaluate(be: Backend, x: F32, labels: I32, n: number): { loss: number; correct: number } {
    const logits = this.forward(be, x, n);
    const correct = be.countCorrect(logits, labels, this.classes, n);
    const loss = be.softmaxCrossEntropy(logits, labels, this.classes, n, this.lossGrad.get(this.classes * n));
    return { loss, correct };
  }
}
