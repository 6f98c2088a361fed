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
import { WeightLayer, type StorageOptions } from '../nn/weight-layer.js';
import type { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export const NAMED_MODELS = ['lenet300', 'conv2', 'conv4', 'conv6'] as const;

export interface ModelOptions extends StorageOptions {
  init?: InitKind;
  /** Leave the weights zero, for a caller that restores them all next (a snapshot): no random draws spent. */
  skipInit?: boolean;
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
    if (t.length > 15) bad(`${what} size '${t}' is absurdly large`);
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
    const conv = convPart.split('-').map((t) => t === 'pool' ? 'pool' as const : (/^[1-9]\d{0,14}$/.test(t) ? Number(t) : bad(`conv item '${t}' is neither a channel count nor 'pool'`)));
    return { conv, fc: ints(fcPart, 'hidden') };
  }
  return bad('unknown model');
}

/**
 * Size limits for a network built from a spec (docs/LIMITS.md). A spec comes from the command line or
 * from a model file's header, so it is checked before anything is allocated. Each limit can be raised
 * with an environment variable for a real model that needs more.
 */
export interface ModelLimits {
  /** Largest fully connected layer (units) or conv layer (channels). WINNOW_MAX_LAYER_WIDTH, default 65,536. */
  maxWidth: number;
  /** Weights + biases over all layers. WINNOW_MAX_PARAMS, default 2^27 (134M: 512 MiB as float32). */
  maxParams: number;
  /** Values one sample produces in any layer (conv im2col included). WINNOW_MAX_ACTIVATIONS, default 2^23 (8.4M). */
  maxActivations: number;
  /** Layers in the spec. Default 256. */
  maxLayers: number;
}

function envLimit(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`$${name}: expected a positive integer, got '${v}'`);
  return n;
}

export function modelLimits(): ModelLimits {
  return {
    maxWidth: envLimit('WINNOW_MAX_LAYER_WIDTH', 65_536),
    maxParams: envLimit('WINNOW_MAX_PARAMS', 2 ** 27),
    maxActivations: envLimit('WINNOW_MAX_ACTIVATIONS', 2 ** 23),
    maxLayers: 256,
  };
}

/** One weight layer a spec produces: its weight matrix [rows, cols] and bias [rows]. */
export interface LayerShape {
  name: string;
  kind: 'conv' | 'fc';
  rows: number;
  cols: number;
}

/**
 * The weight layers a spec builds, in order, with their matrix shapes, checked against the size
 * limits without allocating anything. Throws a UserError naming the spec and the limit.
 */
export function modelShapes(spec: string, inShape: readonly [number, number, number], classes: number, limits: ModelLimits = modelLimits()): LayerShape[] {
  const tooBig = (why: string): never => {
    throw new UserError(`--model '${spec}': ${why} (see docs/LIMITS.md)`);
  };
  if (inShape.some((d) => !Number.isSafeInteger(d) || d < 1)) tooBig(`input shape [${inShape.join(', ')}] must be positive integers`);
  if (!Number.isSafeInteger(classes) || classes < 1) tooBig(`class count ${classes} must be a positive integer`);
  const plan = parseSpec(spec, inShape, classes);
  if (plan.conv.length + plan.fc.length + 1 > limits.maxLayers) tooBig(`${plan.conv.length + plan.fc.length + 1} layers exceeds the limit of ${limits.maxLayers}`);
  const out: LayerShape[] = [];
  let params = 0;
  const add = (l: LayerShape): void => {
    if (l.rows > limits.maxWidth) tooBig(`layer ${l.name} has ${l.rows} ${l.kind === 'conv' ? 'channels' : 'units'}, more than the limit of ${limits.maxWidth} ($WINNOW_MAX_LAYER_WIDTH)`);
    params += l.rows * l.cols + l.rows;
    if (params > limits.maxParams) tooBig(`more than ${limits.maxParams} parameters by layer ${l.name} ($WINNOW_MAX_PARAMS)`);
    out.push(l);
  };
  const activations = (n: number, where: string): void => {
    if (n > limits.maxActivations) tooBig(`${where} produces ${n} values per sample, more than the limit of ${limits.maxActivations} ($WINNOW_MAX_ACTIVATIONS)`);
  };
  let shape: [number, number, number] = [...inShape];
  activations(shape[0] * shape[1] * shape[2], 'the input');
  let convIndex = 0;
  for (const item of plan.conv) {
    if (item === 'pool') {
      if (shape[1] < 2 || shape[2] < 2) throw new UserError(`--model '${spec}': pooling a ${shape[1]}×${shape[2]} feature map`);
      shape = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2)];
    } else {
      const name = `conv${++convIndex}`;
      if (item > limits.maxWidth) tooBig(`layer ${name} has ${item} channels, more than the limit of ${limits.maxWidth} ($WINNOW_MAX_LAYER_WIDTH)`);
      activations(shape[0] * 9 * shape[1] * shape[2], `layer ${name}'s im2col buffer`);
      activations(item * shape[1] * shape[2], `layer ${name}`);
      add({ name, kind: 'conv', rows: item, cols: shape[0] * 9 });
      shape = [item, shape[1], shape[2]];
    }
  }
  let width = shape[0] * shape[1] * shape[2];
  plan.fc.forEach((h, i) => {
    if (h > limits.maxWidth) tooBig(`layer fc${i + 1} has ${h} units, more than the limit of ${limits.maxWidth} ($WINNOW_MAX_LAYER_WIDTH)`);
    add({ name: `fc${i + 1}`, kind: 'fc', rows: h, cols: width });
    width = h;
  });
  add({ name: 'out', kind: 'fc', rows: classes, cols: width });
  return out;
}

export function buildModel(spec: string, inShape: readonly [number, number, number], classes: number,
  rng: Rng, options: ModelOptions = {}): Sequential {
  modelShapes(spec, inShape, classes);
  const plan = parseSpec(spec, inShape, classes);
  const layers: Layer[] = [];
  // The first weight layer reads the model's input: no input gradient (what a measured switch times).
  const storage = (): StorageOptions => ({ ...options, readsModelInput: !layers.some((l) => l instanceof WeightLayer) });
  let shape: [number, number, number] = [...inShape];
  let convIndex = 0, poolIndex = 0;
  for (const item of plan.conv) {
    if (item === 'pool') {
      if (shape[1] < 2 || shape[2] < 2) throw new UserError(`--model '${spec}': pooling a ${shape[1]}×${shape[2]} feature map`);
      const pool = new MaxPool2d(`pool${++poolIndex}`, shape, 2);
      layers.push(pool);
      shape = pool.outShape as [number, number, number];
    } else {
      const conv = new Conv2d(`conv${++convIndex}`, { inChannels: shape[0], height: shape[1], width: shape[2], outChannels: item, kernel: 3, stride: 1, pad: 1 }, 'relu', storage());
      layers.push(conv);
      shape = conv.outShape as [number, number, number];
    }
  }
  let width = shape[0] * shape[1] * shape[2];
  if (plan.conv.length > 0) layers.push(new Flatten('flatten', shape));
  plan.fc.forEach((h, i) => { layers.push(new Linear(`fc${i + 1}`, width, h, 'relu', storage())); width = h; });
  layers.push(new Linear('out', width, classes, 'none', storage()));
  const model = new Sequential(spec, layers);
  if (options.skipInit) return model;
  const initRng = rng.stream('init');
  for (const layer of model.weightLayers()) {
    const { fanIn, fanOut } = layer.fans();
    const w = new Float32Array(layer.weights.rows * layer.weights.cols);
    initWeights(w, options.init ?? 'glorot-normal', fanIn, fanOut, initRng);
    layer.setWeights(w, null);
  }
  return model;
}
