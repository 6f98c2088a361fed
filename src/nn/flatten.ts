// Flatten is free with batch-last activations: [C×H×W×n] is already [(C·H·W) × n].
import type { Backend, F32 } from '../backend/backend.js';
import { numel, type Layer, type Param } from './layer.js';

export class Flatten implements Layer {
  readonly outShape: readonly number[];
  constructor(readonly name: string, readonly inShape: readonly number[]) { this.outShape = [numel(inShape)]; }
  forward(_be: Backend, x: F32): F32 { return x; }
  backward(_be: Backend, dy: F32, _n: number, needInput: boolean): F32 | null { return needInput ? dy : null; }
  params(): Param[] { return []; }
}
