// `winnow infer MODEL`: run a (compressed) network — layers below the sparse threshold on the CSR kernels —
// over a dataset's test split (accuracy, throughput) or over inputs from a JSON file (predictions).
import { getBackend } from '../../backend/index.js';
import { checkDataset } from '../../compare/compress.js';
import { resolveModel } from '../../compare/model-source.js';
import { features } from '../../data/dataset.js';
import { loadDataset } from '../../data/registry.js';
import { argmaxRows, predictRows } from '../../io/model-io.js';
import { UserError } from '../../util/errors.js';
import { readUserJson } from '../../util/read.js';

export interface InferOptions {
  dataset?: string; dataDir?: string; input?: string; batch: number; store?: string; backend: 'native' | 'reference'; warn?: (msg: string) => void;
}
export interface InferLayer { name: string; density: number; storage: string }
export interface Predictions { model: string; n: number; predictions: number[]; logits: number[][]; milliseconds: number; layers: InferLayer[] }
export interface TestRun { model: string; dataset: string; samples: number; batch: number; backend: string; testAccuracy: number; milliseconds: number; samplesPerSecond: number; layers: InferLayer[] }

/** Reads samples from JSON: [[…], …] or { "inputs": [[…], …] }; each sample has `feat` numbers. */
export function readInputs(path: string, feat: number): { samples: Float32Array; n: number } {
  const v = readUserJson(path, `--input ${path}`);
  const list = Array.isArray(v) ? v : (v && typeof v === 'object' && Array.isArray((v as { inputs?: unknown }).inputs) ? (v as { inputs: unknown[] }).inputs : null);
  if (!list) throw new UserError(`--input ${path}: expected an array of samples or {"inputs": [...]}`);
  if (list.length === 0) throw new UserError(`--input ${path}: no samples`);
  // A single flat sample is accepted too.
  const rows = list.every((x) => typeof x === 'number') ? [list] : list;
  const samples = new Float32Array(rows.length * feat);
  rows.forEach((r, i) => {
  if (!Array.isArray(r) || r.length !== feat) throw new UserError(`--input ${path}: sample ${i} must be an array of ${feat} numbers, found ${Array.isArray(r) ? `${r.length} entries` : typeof r}`);
  r.forEach((x, j) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new UserError(`--input ${path}: sample ${i}[${j}] must be a finite number, found ${JSON.stringify(x)}`);
    samples[i * feat + j] = x;
  });
  });
  return { samples, n: rows.length };
}

export function infer(modelArg: string, flags: InferOptions): { kind: 'predictions'; out: Predictions } | { kind: 'test'; out: TestRun } {
  if (flags.input !== undefined && flags.dataset !== undefined) throw new UserError('--input and --dataset are mutually exclusive: give one');
  const be = getBackend(flags.backend, { warn: flags.warn });
  const { resolved, data: own } = resolveModel(modelArg, { store: flags.store });
  const model = resolved.model;
  const layers = model.weightLayers().map((l) => ({ name: l.name, density: l.weights.density, storage: l.weights.storage }));
  if (flags.input !== undefined) {
    const { samples, n } = readInputs(flags.input, model.inFeatures);
    const t0 = performance.now();
    const logits = predictRows(be, model, samples, n, flags.batch);
    const ms = performance.now() - t0;
    const pred = argmaxRows(logits, model.classes);
    const out = { model: resolved.origin, n, predictions: Array.from(pred), logits: Array.from({ length: n }, (_, i) => Array.from(logits.subarray(i * model.classes, (i + 1) * model.classes))), milliseconds: ms, layers };
      return { kind: 'predictions', out };
  }
  const name = flags.dataset ?? resolved.info.dataset;
  if (!name) throw new UserError(`${modelArg}: the model names no dataset; give --dataset or --input`);
  const data = flags.dataset === undefined && own ? own : loadDataset(name, { dataDir: flags.dataDir, seed: resolved.seed, validationSize: resolved.validation });
  checkDataset(model, data);
  const split = data.test, feat = features(data), bs = Math.min(flags.batch, split.count);
  const x = new Float32Array(feat * bs), idx = new Int32Array(bs), labels = new Int32Array(bs);
  let correct = 0, ms = 0;
  const net = model.prepareInference(be), logits = new Float32Array(model.classes * bs);
  for (let start = 0; start < split.count; start += bs) {
    const m = Math.min(bs, split.count - start);
    for (let b = 0; b < m; b++) { idx[b] = start + b; labels[b] = split.labels[start + b]!; }
    const t0 = performance.now();
    be.gatherColumns(split.images, feat, idx.subarray(0, m), m, x);
    net.forward(x, m, logits);
    ms += performance.now() - t0;
    correct += be.countCorrect(logits, labels.subarray(0, m), model.classes, m);
  }
  const out = {
    model: resolved.origin, dataset: data.name, samples: split.count, batch: bs, backend: `${be.name} (${be.detail})`,
    testAccuracy: correct / split.count, milliseconds: ms, samplesPerSecond: split.count / (ms / 1000), layers,
  };
  return { kind: 'test', out };
}
