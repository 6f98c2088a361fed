// Classification on a (downsampled) image dataset, e.g. Fashion-MNIST 7×7 ("fashion-mnist-mini@7x7",
// src/data/downsample.ts) — the same data `winnow lottery --dataset fashion-mnist-mini@7x7` trains MLPs on.
// Each genome's fitness batch is one Backend kernel call (native-eval.ts): native when the addon is available,
// or the backend named by the `backend` option ('native' | 'reference'). Inputs: the features (pixels in [0, 1]) plus a bias input 1.0;
// one output per class, prediction = argmax. Fitness = accuracy on a fixed training sample (the first
// `sampleCount` rows of a seeded permutation of the training split), evaluated as one batch; the final
// genome is reported on the validation and test splits.
import type { Dataset, Split } from '../../data/dataset.js';
import { features } from '../../data/dataset.js';
import type { Genome } from '../genome.js';
import { compile } from '../network.js';
import type { BackendName } from '../../backend/index.js';
import { neatEval, ProgramBatch, type NeatEval } from '../native-eval.js';
import { Rng } from '../../util/rng.js';
import type { Task } from './task.js';

export interface ClassifySample {
  /** batch-last [(features+1) × count], last row = bias 1.0 */
  input: Float64Array;
  labels: Int32Array;
  count: number;
}

/** Builds a batch-last input block from rows of a split. */
export function toBatch(split: Split, nFeatures: number, rows: ArrayLike<number>): ClassifySample {
  const count = rows.length;
  const nIn = nFeatures + 1;
  const input = new Float64Array(nIn * count);
  const labels = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    const r = rows[j]!;
    for (let f = 0; f < nFeatures; f++) input[f * count + j] = split.images[r * nFeatures + f]!;
    input[nFeatures * count + j] = 1.0;
    labels[j] = split.labels[r]!;
  }
  return { input, labels, count };
}

/** Fraction of argmax predictions equal to the labels (ties: the lowest class index), one batch. */
export function accuracy(g: Genome, s: ClassifySample, classes: number, ev?: NeatEval): number {
  const out = new Float64Array(classes * s.count);
  new ProgramBatch(compile(g), ev).run(s.input, s.count, out);
  let correct = 0;
  for (let j = 0; j < s.count; j++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (out[c * s.count + j]! > out[best * s.count + j]!) best = c;
    if (best === s.labels[j]) correct++;
  }
  return correct / s.count;
}

/** Serializable task options made from a Dataset (structured-clone friendly for workers). */
export function classifyOptions(d: Dataset, sampleCount: number, seed: number, targetAccuracy = 1.01): Record<string, unknown> {
  const nf = features(d);
  const perm = new Rng(seed).stream('classify-sample').permutation(d.train.count);
  const train = toBatch(d.train, nf, perm.subarray(0, Math.min(sampleCount, d.train.count)));
  const all = (s: Split) => toBatch(s, nf, Int32Array.from({ length: s.count }, (_, i) => i));
  return {
    dataset: d.name, features: nf, classes: d.classes, targetAccuracy,
    train, validation: d.validation.count ? all(d.validation) : null, test: d.test.count ? all(d.test) : null,
  };
}

export function classifyTask(opts: Record<string, unknown>): Task {
  const nf = opts.features as number, classes = opts.classes as number;
  const train = opts.train as ClassifySample;
  const target = (opts.targetAccuracy as number | undefined) ?? 1.01;
  const ev = neatEval(opts.backend as BackendName | undefined);
  return {
    name: 'classify',
    nIn: nf + 1,
    nOut: classes,
    evaluate(g) {
      const acc = accuracy(g, train, classes, ev);
      return { fitness: acc, solved: acc >= target };
    },
    report(g) {
      const r: Record<string, number> = { trainSampleAccuracy: accuracy(g, train, classes, ev) };
      if (opts.validation) r.validationAccuracy = accuracy(g, opts.validation as ClassifySample, classes, ev);
      if (opts.test) r.testAccuracy = accuracy(g, opts.test as ClassifySample, classes, ev);
      return r;
    },
  };
}
