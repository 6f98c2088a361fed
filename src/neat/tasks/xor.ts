// XOR, Stanley's C++ protocol (experiments.cpp xor_test / xor_evaluate): inputs (a, b, bias 1.0),
// fitness (4 − Σ|error|)² (max 16), solved when every output is on the correct side of 0.5.
// The four patterns are evaluated as one batch; for an acyclic network one pass equals the C++
// activation repeated max_depth()+1 times.
// Evaluator choice, measured (bench/neat.ts): per genome the TS batch evaluator does 4 patterns in ~1 µs,
// while compiling the genome costs ~3.5 µs; packing 150 programs for one native lockstep call
// (evaluateMany) costs more than it saves, so the task uses TS evaluation by default and the
// lockstep path only when given a native NeatEval (xorTask(neatEval('native'))).
import type { Genome } from '../genome.js';
import { BatchEvaluator, compile } from '../network.js';
import { neatEval, packPrograms, ProgramBatch, REFERENCE_NEAT_EVAL, type NeatEval } from '../native-eval.js';
import type { EvalResult, Task } from './task.js';

// batch-last [3 × 4]: rows a, b, bias
export const XOR_INPUT = new Float64Array([0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1]);
export const XOR_TARGET = [0, 1, 1, 0];

export function xorOutputs(g: Genome, ev: NeatEval = REFERENCE_NEAT_EVAL): Float64Array {
  const out = new Float64Array(4);
  new ProgramBatch(compile(g), ev).run(XOR_INPUT, 4, out);
  return out;
}

export function xorFitness(out: ArrayLike<number>): EvalResult {
  const err = Math.abs(out[0]!) + Math.abs(1 - out[1]!) + Math.abs(1 - out[2]!) + Math.abs(out[3]!);
  const solved = out[0]! < 0.5 && out[1]! >= 0.5 && out[2]! >= 0.5 && out[3]! < 0.5;
  return { fitness: (4 - err) ** 2, solved };
}

/** XOR results of many genomes with one forwardMany call. */
export function xorEvaluateMany(genomes: Genome[], ev: NeatEval = neatEval()): EvalResult[] {
  if (genomes.length === 0) return [];
  const pack = packPrograms(genomes.map(compile));
  const out = new Float64Array(genomes.length * 4);
  ev.forwardMany(pack, XOR_INPUT, 4, out);
  return genomes.map((_, i) => xorFitness(out.subarray(i * 4, i * 4 + 4)));
}

export function xorTask(ev: NeatEval = REFERENCE_NEAT_EVAL): Task {
  const out = new Float64Array(4);
  return {
    name: 'xor',
    nIn: 3,
    nOut: 1,
    evaluate(g) {
      if (ev.name === 'native') return xorFitness(xorOutputs(g, ev));
      new BatchEvaluator(compile(g)).run(XOR_INPUT, 4, out);
      return xorFitness(out);
    },
    ...(ev.name === 'native' ? { evaluateMany: (genomes: Genome[]) => xorEvaluateMany(genomes, ev) } : {}),
  };
}
