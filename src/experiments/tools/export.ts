// `winnow export MODEL --to onnx|safetensors`: a model file or lottery ticket as a dense float32 ONNX
// graph (MLP and conv networks) or as a PyTorch-style state dict in safetensors (`<layer>.weight`
// [out, in] / [out, in, kh, kw], `<layer>.bias`), which import-weights reads back. Quantized model files
// are exported dequantized (float32): the exported file does not keep their size. A language-model file
// (gpt:…) exports as the GPT graph of src/io/onnx-gpt.ts, or as every parameter under its winnow name.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { isLmFile, lmFromFile } from '../../io/lm-io.js';
import { loadModelFile } from '../../io/modelfile.js';
import { saveGptOnnx } from '../../io/onnx-gpt.js';
import { resolveModel } from '../../compare/model-source.js';
import { saveOnnx } from '../../io/onnx.js';
import { exportSafetensors, type DenseTensor } from '../../io/safetensors.js';
import { Conv2d } from '../../nn/conv2d.js';
import { UserError } from '../../util/errors.js';

export const EXPORT_TARGETS = ['onnx', 'safetensors'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];
export interface ExportOptions { to: ExportTarget; out?: string; store?: string }
export interface ExportReport { source: string; spec: string; to: ExportTarget; out: string; bytes: number }

export function exportModel(modelArg: string, o: ExportOptions): ExportReport {
  if (existsSync(modelArg)) {
    const file = loadModelFile(modelArg);
    if (isLmFile(file)) return exportLm(modelArg, o, lmFromFile(file, modelArg));
  }
  const { resolved } = resolveModel(modelArg, { store: o.store });
  const stem = resolved.ticket ? `${resolved.ticket.runId}-r${resolved.ticket.replicate}-L${resolved.ticket.level}-${resolved.ticket.branch}` : basename(modelArg).replace(/\.wnn$/, '');
  const out = outPath(modelArg, o, stem);
  const model = resolved.model;
  let bytes: number;
  if (o.to === 'onnx') {
    bytes = saveOnnx(out, model);
  } else {
    const tensors: DenseTensor[] = model.weightLayers().flatMap((l) => {
      const shape = l instanceof Conv2d ? [l.shape.outChannels, l.shape.inChannels, l.shape.kernel, l.shape.kernel] : [l.weights.rows, l.weights.cols];
      return [{ name: `${l.name}.weight`, shape, data: l.weights.toDense() }, { name: `${l.name}.bias`, shape: [l.weights.rows], data: Float32Array.from(l.bias) }];
    });
    bytes = exportSafetensors(out, tensors, { spec: resolved.info.spec, inputShape: resolved.info.inputShape.join('x'), classes: String(resolved.info.classes), producer: 'winnow' });
  }
  return { source: resolved.origin, spec: resolved.info.spec, to: o.to, out, bytes };
}

function outPath(modelArg: string, o: ExportOptions, stem: string): string {
  const out = o.out ?? `${stem}.${o.to}`;
  if (out === modelArg) throw new UserError(`--out ${out} would overwrite the input model; choose another path`);
  return out;
}

function exportLm(modelArg: string, o: ExportOptions, lm: ReturnType<typeof lmFromFile>): ExportReport {
  const out = outPath(modelArg, o, basename(modelArg).replace(/\.wnn$/, ''));
  const matrices = new Map(lm.model.weightLayers().map((l) => [`${l.name}.weight`, l.weights]));
  const bytes = o.to === 'onnx'
    ? saveGptOnnx(out, lm.model)
    : exportSafetensors(out, lm.model.params().map((p) => {
      const m = matrices.get(p.name);
      return m ? { name: p.name, shape: [m.rows, m.cols], data: m.toDense() } : { name: p.name, shape: [p.value.length], data: Float32Array.from(p.value) };
    }), { spec: lm.spec, producer: 'winnow', ...tokenizerMetadata(lm.tokenizer) });
  return { source: `file ${modelArg}`, spec: lm.spec, to: o.to, out, bytes };
}

/** The tokenizer as safetensors metadata strings: a character vocabulary, or BPE tokens and merges. */
function tokenizerMetadata(tk: ReturnType<typeof lmFromFile>['tokenizer']): Record<string, string> {
  return tk.kind === 'char' ? { vocab: JSON.stringify(tk.chars) } : { tokenizer: 'bpe', vocab: JSON.stringify(tk.tokens), merges: JSON.stringify(tk.merges) };
}
