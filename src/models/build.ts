// Model specs → layer stacks. Specs name the paper's architectures or describe custom ones:
//   lenet300              784-300-100-10 fully connected (LeCun et al. 1998, as in the LTH paper)
//   conv2 | conv4 | conv6 the LTH paper's Conv-2/4/6: 3×3 convs (pad 1) in pairs of 64/128/256
//                         channels, each pair followed by 2×2 max-pool, then FC 256-256-classes
//   mlp:784-500-10        fully connected; first size = input features, last = classes
//   conv:32-32-pool/128   custom conv stack (channels or 'pool'), then FC hidden sizes; output added
// Hidden layers use ReLU; the output layer emits logits.
import type { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool.js';
import { Flatten } from '../nn/flatten.js';
import { Sequential } from '../nn/sequential.js';
import { initWeights, type InitKind } from '../nn/init.js';
import type { StorageOptions } from '../nn/weight-layer.js';
import type { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export const NAMED_MODELS = ['lenet300', 'conv2', 'conv4', 'conv6'] as const;

export interface ModelOptions extends StorageOptions {
  init?: InitKind;
}

interface Plan { conv: Array<number | 'pool'>; fc: number[] }

function parseSpec(spec: string, inShape: readonly [number, number, number], classes: number): Plan {
  const features = inShape[0] * inShape[1] * inShape[2];
  switch (spec) {
    case 'lenet300': return { conv: [], fc: [300, 100] };
    case 'conv2': return { conv: [64, 64, 'pool'], fc: [256, 256] };
    case 'conv4': return { conv: [64, 64, 'pool', 128, 128, 'pool'], fc: [256, 256] };
    case 'conv6': return { conv: [64, 64, 'pool', 128, 128, 'pool', 256, 256, 'pool'], fc: [256, 256] };
  }
  const bad = (why: string): never => {
    throw new UserError(`--model '${spec}': ${why} (expected one of ${NAMED_MODELS.join(', ')}, mlp:IN-H1-…-OUT or conv:C1-C2-pool-…/H1-…)`);
  };
  const ints = (s: string, what: string): number[] => s === '' ? [] : s.split('-').map((t) => {
    if (!/^[1-9]\d*$/.test(t)) bad(`${what} size '${t}' is not a positive integer`);
    return Number(t);
  });
  if (spec.startsWith('mlp:')) {
    const sizes = ints(spec.slice(4), 'layer');
    if (sizes.length < 2) bad('an MLP needs at least input and output sizes');
    if (sizes[0] !== features) bad(`input size ${sizes[0]} does not match the dataset's ${features} features`);
    if (sizes[sizes.length - 1] !== classes) bad(`output size ${sizes[sizes.length - 1]} does not match the dataset's ${classes} classes`);
    return { conv: [], fc: sizes.slice(1, -1) };
  }
  if (spec.startsWith('conv:')) {
    const [convPart = '', fcPart = ''] = spec.slice(5).split('/');
    const conv = convPart.split('-').map((t) => t === 'pool' ? 'pool' as const : (/^[1-9]\d*$/.test(t) ? Number(t) : bad(`conv item '${t}' is neither a channel count nor 'pool'`)));
    return { conv, fc: ints(fcPart, 'hidden') };
  }
  return bad('unknown model');
}

export function buildModel(spec: string, inShape: readonly [number, number, number], classes: number,
  rng: Rng, options: ModelOptions = {}): Sequential {
  const plan = parseSpec(spec, inShape, classes);
  const layers: Layer[] = [];
  let shape: [number, number, number] = [...inShape];
  let convIndex = 0, poolIndex = 0;
  for (const item of plan.conv) {
    if (item === 'pool') {
      if (shape[1] < 2 || shape[2] < 2) throw new UserError(`--model '${spec}': pooling a ${shape[1]}×${shape[2]} feature map`);
      const pool = new MaxPool2d(`pool${++poolIndex}`, shape, 2);
      layers.push(pool);
      shape = pool.outShape as [number, number, number];
    } else {
      const conv = new Conv2d(`conv${++convIndex}`, { inChannels: shape[0], height: shape[1], width: shape[2], outChannels: item, kernel: 3, stride: 1, pad: 1 }, 'relu', options);
      layers.push(conv);
      shape = conv.outShape as [number, number, number];
    }
  }
  let width = shape[0] * shape[1] * shape[2];
  if (plan.conv.length > 0) layers.push(new Flatten('flatten', shape));
  plan.fc.forEach((h, i) => { layers.push(new Linear(`fc${i + 1}`, width, h, 'relu', options)); width = h; });
  layers.push(new Linear('out', width, classes, 'none', options));
  const model = new Sequential(spec, layers);
  const initRng = rng.stream('init');
  for (const layer of model.weightLayers()) {
    const { fanIn, fanOut } = layer.fans();
    const w = new Float32Array(layer.weights.rows * layer.weights.cols);
    initWeights(w, options.init ?? 'glorot-normal', fanIn, fanOut, initRng);
    layer.setWeights(w, null);
  }
  return model;
}
