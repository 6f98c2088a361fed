// A sparse training run's resumable state: the trainer's (weights, masks, optimizer state, history, loss sums)
// plus what the method carries between steps (SET's random stream, the cost counters), in one tensor file
// written atomically. Saved at epoch boundaries; a killed job resumes from it with bit-identical results.
import type { ModelState } from '../models/state.js';
import { loadTensors, saveTensors, type Tensor } from '../store/tensorfile.js';
import type { TrainerState } from '../train/trainer.js';

/** What runSparseTraining keeps besides the trainer's state. */
export interface SparseProgress {
  macsSteps: number; macsUpdates: number; updates: number; updateMs: number;
  setRng: number[]; scoringSeconds: number;
}
export interface SparseCheckpoint { trainer: TrainerState; progress: SparseProgress }

const nanToNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

export function saveSparseCheckpoint(path: string, c: SparseCheckpoint): void {
  const tensors: Record<string, Tensor> = {};
  for (const [name, l] of Object.entries(c.trainer.model)) {
    tensors[`model.${name}.weight`] = l.weight; tensors[`model.${name}.bias`] = l.bias; tensors[`model.${name}.mask`] = l.mask;
  }
  c.trainer.optimizer.buffers.forEach((b, i) => { tensors[`opt.${i}`] = b; });
  const t = c.trainer;
  saveTensors(path, tensors, {
    kind: 'sparse-train checkpoint', layers: Object.keys(t.model), iteration: t.iteration, optimizerStep: t.optimizer.step,
    buffers: t.optimizer.buffers.length, history: t.history, lossSum: t.lossSum, lossCount: t.lossCount,
    wallSeconds: t.wallSeconds, stepSeconds: t.stepSeconds,
    progress: { ...c.progress, setRng: c.progress.setRng.map(nanToNull) },
  });
}

export function loadSparseCheckpoint(path: string): SparseCheckpoint {
  const { tensors, meta } = loadTensors(path);
  const bad = (what: string): never => { throw new Error(`${path}: ${what} is missing or malformed`); };
  if (meta['kind'] !== 'sparse-train checkpoint') bad('the sparse-train checkpoint marker');
  const model: ModelState = {};
  for (const name of meta['layers'] as string[]) {
    const weight = tensors[`model.${name}.weight`], bias = tensors[`model.${name}.bias`], mask = tensors[`model.${name}.mask`];
    if (!(weight instanceof Float32Array) || !(bias instanceof Float32Array) || !(mask instanceof Uint8Array)) bad(`layer '${name}'`);
    model[name] = { weight: weight as Float32Array, bias: bias as Float32Array, mask: mask as Uint8Array };
  }
  const buffers: Float32Array[] = [];
  for (let i = 0; i < (meta['buffers'] as number); i++) {
    const b = tensors[`opt.${i}`];
    if (!(b instanceof Float32Array)) bad(`optimizer buffer ${i}`);
    buffers.push(b as Float32Array);
  }
  // JSON turns NaN (the first record's train loss) into null.
  const history = (meta['history'] as Array<Record<string, number | null>>).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? NaN]))) as unknown as TrainerState['history'];
  const p = meta['progress'] as Record<string, unknown> | undefined;
  if (!p || !Array.isArray(p['setRng'])) bad('progress');
  return {
    trainer: {
      iteration: meta['iteration'] as number, model, optimizer: { step: meta['optimizerStep'] as number, buffers }, history,
      lossSum: meta['lossSum'] as number, lossCount: meta['lossCount'] as number,
      wallSeconds: meta['wallSeconds'] as number, stepSeconds: meta['stepSeconds'] as number,
    },
    progress: {
      macsSteps: p!['macsSteps'] as number, macsUpdates: p!['macsUpdates'] as number, updates: p!['updates'] as number,
      updateMs: p!['updateMs'] as number, scoringSeconds: p!['scoringSeconds'] as number,
      setRng: (p!['setRng'] as Array<number | null>).map((v) => v ?? NaN),
    },
  };
}
