// Trained networks ↔ winnow model files (src/io/modelfile.ts).
//
// Saving: every weight layer contributes `<layer>.weight` (its [rows, cols] matrix: [out, in] for fully
// connected layers, [outChannels, inChannels·k·k] for convolutions; zeros where pruned) in any number
// format × sparse encoding, and `<layer>.bias` as fp32 dense. The header's meta records how to rebuild
// the network: { kind: "winnow-model", spec, inputShape, classes, dataset?, layers, … }.
//
// Loading: the spec is rebuilt with buildModel(), each weight matrix is decoded (dequantized values) and
// its nonzeros become the layer's mask, so a layer whose density is below the sparse threshold runs on
// the CSR kernels (spmm) and every other layer on dense GEMM. A value that quantizes to exactly 0 is
// dropped like a pruned one (it contributes nothing either way).
import type { Backend } from '../backend/backend.js';
import { buildModel, modelShapes, type LayerShape } from '../models/build.js';
import type { Sequential } from '../nn/sequential.js';
import type { Storage } from '../nn/weights.js';
import { FORMATS, type FormatName, getFormat } from '../quant/formats.js';
import {
  type EncodedTensor, type EncodingName, encodeTensor, decodeTensor, indexBytes, isEncodingName, matrixView, planTensor, prune24,
} from '../sparse/encodings.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { loadModelFile, predictModelFileBytes, serializeModelFile, type ModelFile, type ModelMeta } from './modelfile.js';
import { writeFileAtomic } from '../util/atomic.js';

export const MODEL_KIND = 'winnow-model';

/** What a model file must say to rebuild its network. */
export interface ModelInfo {
  spec: string;
  /** [channels, height, width] of one input sample. */
  inputShape: [number, number, number];
  classes: number;
  /** The dataset it was trained on (used as the default for evaluation). */
  dataset?: string;
}

export interface TensorChoice {
  format: FormatName;
  encoding: EncodingName | 'auto';
}

export interface SaveOptions {
  /** Number format of every weight matrix (default fp32). Biases are always fp32 dense. */
  format?: FormatName;
  /** Encoding of every weight matrix (default 'auto': the smallest applicable for its format). */
  encoding?: EncodingName | 'auto';
  /** Per-tensor overrides by tensor name (`fc1.weight`, `out.bias`, …). */
  perTensor?: Record<string, Partial<TensorChoice>>;
  /** Prune every weight matrix to 2:4 (2 largest of every 4 along a row) before quantizing. */
  prune24?: boolean;
  /** Extra metadata stored beside the model info. */
  meta?: Record<string, unknown>;
}

/** Exact byte accounting of one stored tensor. */
export interface TensorReport {
  name: string;
  shape: number[];
  format: FormatName;
  encoding: EncodingName;
  numel: number;
  nnz: number;
  /** Stored values (nonzeros + fillers / 2:4 padding). */
  stored: number;
  indexBytes: number;
  codeBytes: number;
  scaleBytes: number;
  bytes: number;
  bitsPerWeight: number;
  /** Infinity when nnz = 0. */
  bitsPerNonzero: number;
}

export function tensorReport(t: Omit<EncodedTensor, 'payload'>): TensorReport {
  const [rows, cols] = matrixView(t.shape);
  const f = FORMATS[t.format];
  const ib = indexBytes(t.encoding, rows, cols, t.stored), cb = f.codeBytes(t.stored), sb = f.scaleBytes(t.stored, rows);
  const bytes = ib + cb + sb, numel = rows * cols;
  return {
    name: t.name, shape: [...t.shape], format: t.format, encoding: t.encoding, numel, nnz: t.nnz, stored: t.stored,
    indexBytes: ib, codeBytes: cb, scaleBytes: sb, bytes, bitsPerWeight: (8 * bytes) / numel, bitsPerNonzero: (8 * bytes) / t.nnz,
  };
}

function choiceFor(name: string, isWeight: boolean, o: SaveOptions): TensorChoice {
  if (!isWeight) return { format: 'fp32', encoding: 'dense', ...o.perTensor?.[name] };
  return { format: o.format ?? 'fp32', encoding: o.encoding ?? 'auto', ...o.perTensor?.[name] };
}

function checkChoice(name: string, c: TensorChoice): void {
  getFormat(c.format);
  if (c.encoding !== 'auto' && !isEncodingName(c.encoding)) throw new UserError(`${name}: unknown encoding '${String(c.encoding)}'`);
}

/** The weight matrix a layer would store (2:4-pruned when asked). */
function storedWeights(w: Float32Array, rows: number, cols: number, o: SaveOptions): Float32Array {
  return o.prune24 ? prune24(w, [rows, cols]) : w;
}

export function modelMeta(model: Sequential, info: ModelInfo, extra: Record<string, unknown> = {}): ModelMeta {
  return {
    ...extra,
    kind: MODEL_KIND, spec: info.spec, inputShape: [...info.inputShape], classes: info.classes,
    ...(info.dataset ? { dataset: info.dataset } : {}),
    layers: model.weightLayers().map((l) => l.name),
  };
}

/** Quantizes and encodes every tensor of the model. */
export function encodeModel(model: Sequential, info: ModelInfo, o: SaveOptions = {}): { tensors: EncodedTensor[]; meta: ModelMeta } {
  const tensors: EncodedTensor[] = [];
  for (const l of model.weightLayers()) {
    const { rows, cols } = l.weights;
    const wName = `${l.name}.weight`, bName = `${l.name}.bias`;
    const wc = choiceFor(wName, true, o), bc = choiceFor(bName, false, o);
    checkChoice(wName, wc); checkChoice(bName, bc);
    tensors.push(encodeTensor(wName, storedWeights(l.weights.toDense(), rows, cols, o), [rows, cols], wc.format, wc.encoding));
    tensors.push(encodeTensor(bName, Float32Array.from(l.bias), [rows], bc.format, bc.encoding));
  }
  return { tensors, meta: modelMeta(model, info, o.meta) };
}

/** Exact file size without quantizing anything (planning only), plus the per-tensor accounting. */
export function planModel(model: Sequential, info: ModelInfo, o: SaveOptions = {}): { bytes: number; tensors: TensorReport[] } {
  const plans = model.weightLayers().flatMap((l) => {
    const { rows, cols } = l.weights;
    const wName = `${l.name}.weight`, bName = `${l.name}.bias`;
    const wc = choiceFor(wName, true, o), bc = choiceFor(bName, false, o);
    checkChoice(wName, wc); checkChoice(bName, bc);
    return [
      planTensor(wName, storedWeights(l.weights.toDense(), rows, cols, o), [rows, cols], wc.format, wc.encoding),
      planTensor(bName, l.bias, [rows], bc.format, bc.encoding),
    ];
  });
  return { bytes: predictModelFileBytes(plans, modelMeta(model, info, o.meta)), tensors: plans.map(tensorReport) };
}

export interface SavedModel {
  path: string | null;
  bytes: number;
  tensors: TensorReport[];
  meta: ModelMeta;
  file: Uint8Array;
}

/** Encodes the model into model-file bytes (in memory). */
export function serializeModel(model: Sequential, info: ModelInfo, o: SaveOptions = {}): SavedModel {
  const { tensors, meta } = encodeModel(model, info, o);
  const file = serializeModelFile(tensors, meta);
  return { path: null, bytes: file.length, tensors: tensors.map(tensorReport), meta, file };
}

/** Writes the model file atomically; returns its exact size and per-tensor accounting. */
export function saveModel(path: string, model: Sequential, info: ModelInfo, o: SaveOptions = {}): SavedModel {
  const s = serializeModel(model, info, o);
  writeFileAtomic(path, s.file);
  return { ...s, path };
}

export interface LoadModelOptions {
  /** Storage of every layer: 'auto' (sparse below `sparseThreshold`, the default), or forced. */
  storage?: Storage | 'auto';
  sparseThreshold?: number;
}

export interface LoadedModel {
  model: Sequential;
  info: ModelInfo;
  meta: ModelMeta;
  file: ModelFile;
  /** Per-tensor accounting of the file as stored. */
  tensors: TensorReport[];
  be?: Backend;
}

function readInfo(meta: ModelMeta, where: string): ModelInfo {
  const fail = (field: string, why: string): never => { throw new UserError(`${where}: meta.${field}: ${why}`); };
  if (meta['kind'] !== MODEL_KIND) fail('kind', `expected "${MODEL_KIND}" (a network saved by winnow), found ${JSON.stringify(meta['kind'])}`);
  const spec = meta['spec'];
  if (typeof spec !== 'string' || spec === '') fail('spec', `expected a model spec string, found ${JSON.stringify(spec)}`);
  const shape = meta['inputShape'];
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    fail('inputShape', `expected [channels, height, width] of positive integers, found ${JSON.stringify(shape)}`);
  }
  const classes = meta['classes'];
  if (!Number.isSafeInteger(classes) || (classes as number) < 1) fail('classes', `expected a positive integer, found ${JSON.stringify(classes)}`);
  const dataset = meta['dataset'];
  if (dataset !== undefined && typeof dataset !== 'string') fail('dataset', `expected a string, found ${JSON.stringify(dataset)}`);
  return { spec: spec as string, inputShape: shape as [number, number, number], classes: classes as number, ...(dataset ? { dataset: dataset as string } : {}) };
}

/** Every tensor the spec needs is present with exactly its shape, and no other tensor is. */
export function checkTensorsMatch(file: ModelFile, shapes: readonly LayerShape[], where: string, spec: string): void {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const want = new Map<string, number[]>();
  for (const l of shapes) { want.set(`${l.name}.weight`, [l.rows, l.cols]); want.set(`${l.name}.bias`, [l.rows]); }
  for (const [name, shape] of want) {
    const t = byName.get(name);
    if (!t) throw new UserError(`${where}: tensor '${name}' is missing (the spec '${spec}' needs it)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new UserError(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}], the spec '${spec}' needs [${shape.join(', ')}]`);
    }
  }
  const extra = file.tensors.filter((t) => !want.has(t.name)).map((t) => t.name);
  if (extra.length) throw new UserError(`${where}: tensor(s) ${extra.map((n) => `'${n}'`).join(', ')} do not belong to the spec '${spec}'`);
}

/** Rebuilds the network stored in a parsed model file. `where` names the file in errors. */
export function modelFromFile(file: ModelFile, where: string, o: LoadModelOptions = {}): { model: Sequential; info: ModelInfo } {
  const info = readInfo(file.meta, where);
  // The spec is checked against its size limits and against the tensors actually present (exact shapes,
  // so a transposed matrix with the right element count is refused) before anything is allocated.
  let shapes: LayerShape[];
  try {
    shapes = modelShapes(info.spec, info.inputShape, info.classes);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: meta.spec: ${e.message}`);
    throw e;
  }
  checkTensorsMatch(file, shapes, where, info.spec);
  let model: Sequential;
  try {
    model = buildModel(info.spec, info.inputShape, info.classes, new Rng(0), { storage: o.storage ?? 'auto', sparseThreshold: o.sparseThreshold });
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: meta.spec: ${e.message}`);
    throw e;
  }
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const used = new Set<string>();
  const take = (name: string, numel: number): Float32Array => {
    const t = byName.get(name);
    if (!t) throw new UserError(`${where}: tensor '${name}' is missing (the spec '${info.spec}' needs it)`);
    const [r, c] = matrixView(t.shape);
    if (r * c !== numel) throw new UserError(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}] (${r * c} values), the spec '${info.spec}' needs ${numel}`);
    used.add(name);
    return decodeTensor(t);
  };
  for (const l of model.weightLayers()) {
    const { rows, cols } = l.weights;
    const w = take(`${l.name}.weight`, rows * cols);
    const mask = new Uint8Array(w.length);
    let nnz = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) { mask[i] = 1; nnz++; }
    l.setWeights(w, nnz === w.length ? null : mask);
    l.bias.set(take(`${l.name}.bias`, rows));
  }
  const extra = file.tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (extra.length) throw new UserError(`${where}: tensor(s) ${extra.map((n) => `'${n}'`).join(', ')} do not belong to the spec '${info.spec}'`);
  return { model, info };
}

/**
 * Loads a model file into a runnable network (dequantized weights; layers below the sparse threshold
 * stored as CSR and run on the sparse kernels). `be` is only carried along for the caller's convenience.
 */
export function loadModel(path: string, be?: Backend, o: LoadModelOptions = {}): LoadedModel {
  const file = loadModelFile(path);
  const { model, info } = modelFromFile(file, path, o);
  return { model, info, meta: file.meta, file, tensors: file.tensors.map(tensorReport), ...(be ? { be } : {}) };
}

/**
 * Logits, row-major [n × classes], for n row-major samples [n × features]. Runs the model in batches of
 * `batch` (batch-last inside, as every layer expects).
 */
export function predictRows(be: Backend, model: Sequential, samples: Float32Array, n: number, batch = 256): Float32Array {
  const feat = model.inFeatures, classes = model.classes;
  if (samples.length !== n * feat) throw new UserError(`expected ${n} samples of ${feat} features (${n * feat} values), got ${samples.length}`);
  const out = new Float32Array(n * classes);
  const bs = Math.max(1, Math.min(batch, n));
  const x = new Float32Array(feat * bs);
  const idx = new Int32Array(bs);
  const net = model.prepareInference(be), logits = new Float32Array(classes * bs);
  for (let start = 0; start < n; start += bs) {
    const m = Math.min(bs, n - start);
    for (let b = 0; b < m; b++) idx[b] = start + b;
    be.gatherColumns(samples, feat, idx.subarray(0, m), m, x);
    net.forward(x, m, logits);
    for (let c = 0; c < classes; c++) for (let b = 0; b < m; b++) out[(start + b) * classes + c] = logits[c * m + b]!;
  }
  return out;
}

/** Index of the largest logit of each row (first max wins). */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}
