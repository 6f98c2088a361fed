// One point of the study: a network stored in one number format × encoding, measured by the same path a
// user takes — serialize the model file, parse it back, rebuild the network from the dequantized
// weights, evaluate on the test split. Bytes are the exact file size (header and checksum included).
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import { modelFromFile, serializeModel, type ModelInfo } from '../io/model-io.js';
import { parseModelFile } from '../io/modelfile.js';
import type { Sequential } from '../nn/sequential.js';
import type { FormatName } from '../quant/formats.js';
import { testAccuracy, weightTotals } from './compress.js';

/** What a point is, for the conclusions: which technique(s) made it small. */
export type Category = 'baseline' | 'quantization' | 'sparsity' | 'combined' | 'control' | 'neat';

export const CATEGORY_LABEL: Record<Category, string> = {
  baseline: 'dense fp32',
  quantization: 'dense, quantized',
  sparsity: 'ticket, fp32',
  combined: 'ticket, quantized',
  control: 'random-pruned control',
  neat: 'NEAT genome',
};

export interface StudyPoint {
  /** Short unique label, e.g. "dense nvfp4", "ticket L4 int4-group". */
  label: string;
  category: Category;
  /** 'dense' | 'ticket' | 'random-prune' | 'neat' */
  source: string;
  level: number | null;
  /** Fraction of weights kept (before quantization zeros). */
  density: number;
  format: FormatName | 'genome';
  /** Encodings chosen for the weight tensors (auto = smallest per tensor), joined by '/'. */
  encoding: string;
  bytes: number;
  /** 8·(weight payload bytes)/weights; NaN for NEAT. */
  bitsPerWeight: number;
  testAccuracy: number;
  testLoss: number;
}

/** Density of a network's weight layers. */
export function modelDensity(model: Sequential): number {
  let kept = 0, total = 0;
  for (const l of model.weightLayers()) { kept += l.weights.nnz; total += l.weights.rows * l.weights.cols; }
  return total ? kept / total : 1;
}

/** Stores `model` as `format` with the smallest encoding per tensor, reloads it, and measures it. */
export function measurePoint(be: Backend, model: Sequential, info: ModelInfo, data: Dataset, format: FormatName,
  p: { label: string; category: Category; source: string; level: number | null; density?: number }): StudyPoint {
  const saved = serializeModel(model, info, { format, encoding: 'auto' });
  const file = parseModelFile(saved.file, p.label);
  const { model: back } = modelFromFile(file, p.label);
  const acc = testAccuracy(be, back, data);
  const weights = saved.tensors.filter((t) => t.name.endsWith('.weight'));
  return {
    label: p.label, category: p.category, source: p.source, level: p.level, density: p.density ?? modelDensity(model), format,
    encoding: [...new Set(weights.map((t) => t.encoding))].join('/'), bytes: saved.bytes,
    bitsPerWeight: weightTotals(saved.tensors).bitsPerWeight, testAccuracy: acc.testAccuracy, testLoss: acc.testLoss,
  };
}
