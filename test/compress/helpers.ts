// Small networks and data for the compress / infer / compare tests.
import { buildModel } from '../../src/models/build.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { randomMask } from '../../src/prune/random.js';
import { Rng } from '../../src/util/rng.js';
import type { ModelInfo } from '../../src/io/model-io.js';

export const BLOBS = 'synthetic:blobs';
export const INFO: ModelInfo = { spec: 'mlp:20-16-12-4', inputShape: [1, 1, 20], classes: 4, dataset: BLOBS };

/** mlp 20-16-12-4 with random weights and biases; layer densities as given (1 = dense). */
export function tinyModel(seed: number, densities: [number, number, number] = [0.2, 1, 0.5]): Sequential {
  const rng = new Rng(seed);
  const m = buildModel(INFO.spec, INFO.inputShape, INFO.classes, rng);
  const mr = rng.stream('mask');
  m.weightLayers().forEach((l, i) => {
    const w = l.weights.toDense();
    const d = densities[i]!;
    l.setWeights(w, d < 1 ? randomMask(w.length, d, mr) : null);
    for (let k = 0; k < l.bias.length; k++) l.bias[k] = 0.1 * rng.normal();
  });
  return m;
}

export function randomInputs(seed: number, n: number, feat = 20): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * feat }, () => rng.next());
}
