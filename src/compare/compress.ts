// Compression of one network: quantize its weights to a number format, store each matrix in a sparse
// (or dense) encoding, write the model file, load it back through the same path inference uses, and
// measure test accuracy before and after — with exact byte accounting against the fp32 dense file.
import type { Backend } from '../backend/backend.js';
import { features, type Dataset } from '../data/dataset.js';
import { loadModel, planModel, saveModel, type ModelInfo, type TensorReport } from '../io/model-io.js';
import type { Sequential } from '../nn/sequential.js';
import type { FormatName } from '../quant/formats.js';
import type { EncodingName } from '../sparse/encodings.js';
import { evaluateSplit } from '../train/trainer.js';
import { UserError } from '../util/errors.js';

export interface Accuracy { testAccuracy: number; testLoss: number }

export interface CompressOptions {
  format: FormatName;
  encoding: EncodingName | 'auto';
  prune24?: boolean;
  out: string;
}

export interface WeightTotals {
  numel: number;
  /** Weights kept by the pruning mask (nonzero before quantization): what the file stores. */
  nnz: number;
  /** nnz / numel. */
  density: number;
  /** Weights still nonzero after quantization (a small kept weight may round to 0), as the reloaded
   * network — and `winnow infer` — count them; absent before the file is reloaded. */
  nonzeroAfterQuantization?: number;
  /** nonzeroAfterQuantization / numel: the density `winnow infer` reports. */
  densityAfterQuantization?: number;
  /** Bytes of the weight tensors' payloads (index + codes + scales). */
  bytes: number;
  bitsPerWeight: number;
  bitsPerNonzero: number;
}

export interface CompressReport {
  source: string;
  out: string;
  spec: string;
  dataset: string;
  format: FormatName;
  encoding: EncodingName | 'auto';
  prune24: boolean;
  /** The written file's exact size. */
  fileBytes: number;
  /** The same network as an fp32 dense model file. */
  fp32DenseBytes: number;
  /** fileBytes / fp32DenseBytes. */
  ratio: number;
  weights: WeightTotals;
  tensors: TensorReport[];
  before: Accuracy;
  after: Accuracy;
  /** The reloaded network's layers: density and the storage (kernels) inference uses. */
  layers: Array<{ name: string; shape: [number, number]; density: number; storage: string }>;
}

export function checkDataset(model: Sequential, data: Dataset, flag = '--dataset'): void {
  if (features(data) !== model.inFeatures || data.classes !== model.classes) {
    throw new UserError(`${flag} ${data.name}: it has ${features(data)} features and ${data.classes} classes, the model expects ${model.inFeatures} and ${model.classes}`);
  }
}

export function testAccuracy(be: Backend, model: Sequential, data: Dataset): Accuracy {
  const r = evaluateSplit(be, model, data.test, features(data), 1000);
  return { testAccuracy: r.accuracy, testLoss: r.loss };
}

export function weightTotals(tensors: readonly TensorReport[]): WeightTotals {
  const w = tensors.filter((t) => t.name.endsWith('.weight'));
  const numel = w.reduce((s, t) => s + t.numel, 0), nnz = w.reduce((s, t) => s + t.nnz, 0), bytes = w.reduce((s, t) => s + t.bytes, 0);
  return { numel, nnz, density: nnz / numel, bytes, bitsPerWeight: (8 * bytes) / numel, bitsPerNonzero: (8 * bytes) / nnz };
}

/** Adds the density after quantization: the reloaded network's nonzero weights (what infer reports). */
export function withLoadedDensity(w: WeightTotals, loaded: Sequential): WeightTotals {
  const nz = loaded.weightLayers().reduce((a, l) => a + Math.round(l.weights.density * l.weights.rows * l.weights.cols), 0);
  return { ...w, nonzeroAfterQuantization: nz, densityAfterQuantization: nz / w.numel };
}

export function layerStorage(model: Sequential): CompressReport['layers'] {
  return model.weightLayers().map((l) => ({ name: l.name, shape: [l.weights.rows, l.weights.cols], density: l.weights.density, storage: l.weights.storage }));
}

/** Writes `o.out` and measures it. `before` may be passed in when already measured. */
export function compressModel(be: Backend, model: Sequential, info: ModelInfo, data: Dataset, o: CompressOptions,
  extra: { source: string; before?: Accuracy; meta?: Record<string, unknown> }): CompressReport {
  checkDataset(model, data);
  const before = extra.before ?? testAccuracy(be, model, data);
  const saved = saveModel(o.out, model, info, { format: o.format, encoding: o.encoding, prune24: o.prune24, meta: extra.meta });
  const fp32 = planModel(model, info, { format: 'fp32', encoding: 'dense', meta: extra.meta });
  const loaded = loadModel(o.out, be);
  const after = testAccuracy(be, loaded.model, data);
  return {
    source: extra.source, out: o.out, spec: info.spec, dataset: data.name, format: o.format, encoding: o.encoding, prune24: Boolean(o.prune24),
    fileBytes: saved.bytes, fp32DenseBytes: fp32.bytes, ratio: saved.bytes / fp32.bytes,
    weights: withLoadedDensity(weightTotals(saved.tensors), loaded.model), tensors: saved.tensors, before, after, layers: layerStorage(loaded.model),
  };
}
