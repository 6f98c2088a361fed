// `winnow export MODEL --to onnx|safetensors`: take a winnow network elsewhere.
// A float32 model (or lottery ticket) becomes a dense float32 ONNX graph (MLP and conv networks) or a
// PyTorch-style state dict in safetensors (`<layer>.weight` [out, in] / [out, in, kh, kw], `<layer>.bias`),
// which import-weights reads back. A quantized model file keeps its size: safetensors holds its stored
// codes, scales and sparse indices as separate tensors (src/io/quantized-safetensors.ts), and ONNX holds
// int8/int4 weights as integer initializers + DequantizeLinear (src/io/onnx.ts). Formats ONNX cannot
// express (fp8, MX, NVFP4, ternary, binary) go to ONNX dequantized, and the report says so.
// `dense: true` (--dense) always writes dequantized float32.
// A language-model file (gpt:…) exports as the GPT graph of src/io/onnx-gpt.ts (float32), or as every
// parameter under its winnow name.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { isLmFile, lmFromFile } from '../../io/lm-io.js';
import { saveGptOnnx } from '../../io/onnx-gpt.js';
import { resolveModel } from '../../compare/model-source.js';
import { loadModelFile } from '../../io/modelfile.js';
import { quantizedWeightOf, saveOnnx, type QuantizedWeight } from '../../io/onnx.js';
import { saveQuantizedSafetensors } from '../../io/quantized-safetensors.js';
import { exportSafetensors, type DenseTensor } from '../../io/safetensors.js';
import { Conv2d } from '../../nn/conv2d.js';
import { UserError } from '../../util/errors.js';

export const EXPORT_TARGETS = ['onnx', 'safetensors'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];
export interface ExportOptions { to: ExportTarget; out?: string; store?: string; dense?: boolean }
export interface ExportReport {
  source: string; spec: string; to: ExportTarget; out: string; bytes: number;
  /** Size of the source model file (absent for a lottery ticket). */
  sourceBytes?: number;
  /** 'float32': dequantized dense weights; 'quantized': stored codes and scales kept. */
  weights: 'float32' | 'quantized';
  /** Why some weights were written as float32 although the file stores them quantized. */
  notes: string[];
}

export function exportModel(modelArg: string, o: ExportOptions): ExportReport {
  if (existsSync(modelArg)) {
    const file = loadModelFile(modelArg);
    if (isLmFile(file)) return exportLm(modelArg, o, lmFromFile(file, modelArg), file.tensors.some((t) => t.format !== 'fp32'));
  }
  const { resolved } = resolveModel(modelArg, { store: o.store });
  const stem = resolved.ticket ? `${resolved.ticket.runId}-r${resolved.ticket.replicate}-L${resolved.ticket.level}-${resolved.ticket.branch}` : basename(modelArg).replace(/\.wnn$/, '');
  const out = outPath(modelArg, o, stem);
  const model = resolved.model;
  const file = resolved.kind === 'file' ? loadModelFile(modelArg) : null;
  const quantized = o.dense || !file ? [] : file.tensors.filter((t) => t.format !== 'fp32');
  const notes: string[] = [];
  let bytes: number, weights: ExportReport['weights'] = 'float32';
  if (o.to === 'onnx') {
    const qmap = new Map<string, QuantizedWeight>();
    for (const t of quantized) {
      const q = quantizedWeightOf(t);
      if (typeof q === 'string') notes.push(`${t.name}: exported as float32: ${q}`);
      else qmap.set(t.name, q);
    }
    if (qmap.size > 0) weights = 'quantized';
    bytes = saveOnnx(out, model, { quantized: qmap });
  } else if (quantized.length > 0) {
    bytes = saveQuantizedSafetensors(out, file!);
    weights = 'quantized';
  } else {
    const tensors: DenseTensor[] = model.weightLayers().flatMap((l) => {
      const shape = l instanceof Conv2d ? [l.shape.outChannels, l.shape.inChannels, l.shape.kernel, l.shape.kernel] : [l.weights.rows, l.weights.cols];
      return [{ name: `${l.name}.weight`, shape, data: l.weights.toDense() }, { name: `${l.name}.bias`, shape: [l.weights.rows], data: Float32Array.from(l.bias) }];
    });
    bytes = exportSafetensors(out, tensors, { spec: resolved.info.spec, inputShape: resolved.info.inputShape.join('x'), classes: String(resolved.info.classes), producer: 'winnow' });
  }
  return { source: resolved.origin, spec: resolved.info.spec, to: o.to, out, bytes, ...(resolved.fileBytes !== undefined ? { sourceBytes: resolved.fileBytes } : {}), weights, notes };
}

function outPath(modelArg: string, o: ExportOptions, stem: string): string {
  const out = o.out ?? `${stem}.${o.to}`;
  if (out === modelArg) throw new UserError(`--out ${out} would overwrite the input model; choose another path`);
  return out;
}

function exportLm(modelArg: string, o: ExportOptions, lm: ReturnType<typeof lmFromFile>, quantized: boolean): ExportReport {
  const out = outPath(modelArg, o, basename(modelArg).replace(/\.wnn$/, ''));
  const matrices = new Map(lm.model.weightLayers().map((l) => [`${l.name}.weight`, l.weights]));
  const bytes = o.to === 'onnx'
    ? saveGptOnnx(out, lm.model)
    : exportSafetensors(out, lm.model.params().map((p) => {
      const m = matrices.get(p.name);
      return m ? { name: p.name, shape: [m.rows, m.cols], data: m.toDense() } : { name: p.name, shape: [p.value.length], data: Float32Array.from(p.value) };
    }), { spec: lm.spec, producer: 'winnow', ...tokenizerMetadata(lm.tokenizer) });
  const notes = quantized ? ['language models export dequantized: every weight is written as float32'] : [];
  return { source: `file ${modelArg}`, spec: lm.spec, to: o.to, out, bytes, weights: 'float32', notes };
}

/** The tokenizer as safetensors metadata strings: a character vocabulary, or BPE tokens and merges. */
function tokenizerMetadata(tk: ReturnType<typeof lmFromFile>['tokenizer']): Record<string, string> {
  return tk.kind === 'char' ? { vocab: JSON.stringify(tk.chars) } : { tokenizer: 'bpe', vocab: JSON.stringify(tk.tokens), merges: JSON.stringify(tk.merges) };
}
