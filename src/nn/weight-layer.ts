// Shared parts of the layers that own a weight matrix (linear and convolution): the weight
// matrix with its storage choice, the bias, and re-laying the weights out when a mask changes.
import type { F32, U8 } from '../backend/backend.js';
import type { Layer, Param } from './layer.js';
import { WeightMatrix, type SparseSwitch, type Storage } from './weights.js';

export type Activation = 'relu' | 'none';

export interface StorageOptions {
  storage?: Storage | 'auto';
  /** Density below which 'auto' stores a layer sparse, or a switch measured per layer shape (sparse-switch.ts). */
  sparseThreshold?: number | SparseSwitch;
  /** Use the kernels for many activation columns (WeightMatrix.wideKernels): the GPT's B·T; other models keep the stored summation order. */
  wideColumns?: boolean;
  /** Allocate the layer's activation buffers 64-byte aligned (Scratch): set by the GPT. */
  alignedActivations?: boolean;
  /** The layer reads the model's input (no input gradient): a measured switch times it so. Set by buildModel. */
  readsModelInput?: boolean;
}

export abstract class WeightLayer implements Layer {
  abstract readonly kind: 'fc' | 'conv';
  abstract readonly inShape: readonly number[];
  abstract readonly outShape: readonly number[];
  readonly name: string;
  weights: WeightMatrix;
  readonly bias: F32;
  readonly biasGrad: F32;
  readonly activation: Activation;
  protected readonly storageOptions: StorageOptions;
  /**
   * When set to a [rows × cols] array, the next backward also writes the dense weight gradient dY·Xᵀ there (every
   * position, kept or not): what dynamic sparse training (RigL) grows from, requested only at its update steps.
   */
  denseGradOut: F32 | null = null;
  /** Activation columns per sample the weights multiply: 1 for fc, output positions for conv. */
  private readonly colsPerSample: number;

  protected constructor(name: string, rows: number, cols: number, activation: Activation, options: StorageOptions, colsPerSample = 1) {
    this.name = name;
    this.activation = activation;
    this.storageOptions = options;
    this.colsPerSample = colsPerSample;
    this.weights = this.matrix(rows, cols, new Float32Array(rows * cols), null);
    this.bias = new Float32Array(rows);
    this.biasGrad = new Float32Array(rows);
  }

  /** Fan-in and fan-out for initialization. */
  abstract fans(): { fanIn: number; fanOut: number };

  /** Replaces weights and mask; the storage (dense or sparse) is chosen again from the new density. */
  setWeights(dense: F32, mask: U8 | null): void {
    this.weights = this.matrix(this.weights.rows, this.weights.cols, dense, mask);
  }

  private matrix(rows: number, cols: number, dense: F32, mask: U8 | null): WeightMatrix {
    const o = this.storageOptions;
    return new WeightMatrix(rows, cols, dense, mask, o.storage ?? 'auto', o.sparseThreshold,
      { colsPerSample: this.colsPerSample, input: o.readsModelInput ?? false, wide: o.wideColumns ?? false });
  }

  params(): Param[] {
    return [
      { name: `${this.name}.weight`, value: this.weights.value, grad: this.weights.grad, layout: this.weights.layout },
      { name: `${this.name}.bias`, value: this.bias, grad: this.biasGrad },
    ];
  }

  abstract forward(be: import('../backend/backend.js').Backend, x: F32, n: number): F32;
  abstract backward(be: import('../backend/backend.js').Backend, dy: F32, n: number, needInput: boolean): F32 | null;
}
