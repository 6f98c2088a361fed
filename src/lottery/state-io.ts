// Model snapshots and trainer checkpoints as tensor files (checksummed, written atomically).
import type { ModelState } from '../models/state.js';
import type { TrainerState } from '../train/trainer.js';
import { loadTensors, saveTensors, type Tensor } from '../store/tensorfile.js';

function modelTensors(state: ModelState, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, l] of Object.entries(state)) {
    out[`${prefix}${name}.weight`] = l.weight; out[`${prefix}${name}.bias`] = l.bias; out[`${prefix}${name}.mask`] = l.mask;
  }
  return out;
}

function modelFrom(tensors: Record<string, Tensor>, layers: string[], prefix: string, path: string): ModelState {
  const out: ModelState = {};
  for (const name of layers) {
    const weight = tensors[`${prefix}${name}.weight`], bias = tensors[`${prefix}${name}.bias`], mask = tensors[`${prefix}${name}.mask`];
    if (!(weight instanceof Float32Array) || !(bias instanceof Float32Array) || !(mask instanceof Uint8Array)) {
      throw new Error(`${path}: layer '${name}' is missing or has the wrong type`);
    }
    out[name] = { weight, bias, mask };
  }
  return out;
}

export function saveModelState(path: string, state: ModelState, meta: Record<string, unknown> = {}): void {
  saveTensors(path, modelTensors(state, ''), { ...meta, layers: Object.keys(state) });
}

export function loadModelState(path: string): ModelState {
  const f = loadTensors(path);
  return modelFrom(f.tensors, f.meta['layers'] as string[], '', path);
}

export function saveTrainerState(path: string, s: TrainerState): void {
  const tensors = modelTensors(s.model, 'model.');
  s.optimizer.buffers.forEach((b, i) => { tensors[`opt.${i}`] = b; });
  saveTensors(path, tensors, {
    layers: Object.keys(s.model), iteration: s.iteration, optimizerStep: s.optimizer.step, buffers: s.optimizer.buffers.length,
    history: s.history, lossSum: s.lossSum, lossCount: s.lossCount, wallSeconds: s.wallSeconds, stepSeconds: s.stepSeconds,
  });
}

export function loadTrainerState(path: string): TrainerState {
  const { tensors, meta } = loadTensors(path);
  const buffers: Float32Array[] = [];
  for (let i = 0; i < (meta['buffers'] as number); i++) {
    const b = tensors[`opt.${i}`];
    if (!(b instanceof Float32Array)) throw new Error(`${path}: optimizer buffer ${i} missing`);
    buffers.push(b);
  }
  // JSON turns NaN (the first record's train loss, losses without a validation split) into null.
  const history = (meta['history'] as Array<Record<string, number | null>>).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? NaN]))) as unknown as TrainerState['history'];
  return {
    iteration: meta['iteration'] as number, model: modelFrom(tensors, meta['layers'] as string[], 'model.', path),
    optimizer: { step: meta['optimizerStep'] as number, buffers }, history,
    lossSum: meta['lossSum'] as number, lossCount: meta['lossCount'] as number,
    wallSeconds: meta['wallSeconds'] as number, stepSeconds: meta['stepSeconds'] as number,
  };
}
