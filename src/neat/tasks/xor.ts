// XOR, Stanley's C++ protocol (experiments.cpp xor_test / xor_evaluate): inputs (a, b, bias 1.0),
// fitness (4 − Σ|error|)² (max 16), solved when every output is on the correct side of 0.5.
// The four patterns are evaluated as one batch; for an acyclic network one pass equals the C++
// activation repeated max_depth()+1 times.
import type { Genome } from '../genome.js';
import { BatchEvaluator, compile } from '../network.js';
import type { EvalResult, Task } from './task.js';

// batch-last [3 × 4]: rows a, b, bias
export const XOR_INPUT = new Float64Array([0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1]);
export const XOR_TARGET = [0, 1, 1, 0];

export function xorOutputs(g: Genome): Float64Array {
  const out = new Float64Array(4);
  new BatchEvaluator(compile(g)).run(XOR_INPUT, 4, out);
  return out;
}

export function xorFitness(out: ArrayLike<number>): EvalResult {
  const err = Math.abs(out[0]!) + Math.abs(1 - out[1]!) + Math.abs(1 - out[2]!) + Math.abs(out[3]!);
  const solved = out[0]! < 0.5 && out[1]! >= 0.5 && out[2]! >= 0.5 && out[3]! < 0.5;
  return { fitness: (4 - err) ** 2, solved };
}

export function xorTask(): Task {
  const out = new Float64Array(4);
  return {
    name: 'xor',
    nIn: 3,
    nOut: 1,
    evaluate(g) {
      new BatchEvaluator(compile(g)).run(XOR_INPUT, 4, out);
      return xorFitness(out);
    },
  };
}
