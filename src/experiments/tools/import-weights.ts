// `winnow import-weights FILE --model SPEC`: PyTorch weights (a state dict saved as safetensors) into a
// winnow model file, checked on the dataset it is meant for. The model file then works everywhere a
// model file does: compress, infer, export, and `lottery --init-from` as the initialization.
// `--gpt2 PATH`: a Hugging Face GPT-2 checkpoint and its BPE tokenizer into a winnow LM file.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { getBackend } from '../../backend/index.js';
import { BpeTokenizer } from '../../data/bpe.js';
import { importGpt2, looksLikeGpt2 } from '../../io/gpt2-import.js';

export { looksLikeGpt2 };
import { saveLm } from '../../io/lm-io.js';
import { readUserJson } from '../../util/read.js';
import { loadDataset } from '../../data/registry.js';
import { importStateDict, type ImportedLayer } from '../../io/import-weights.js';
import { argmaxRows, predictRows, saveModel } from '../../io/model-io.js';
import { importSafetensors } from '../../io/safetensors.js';
import { buildModel } from '../../models/build.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export interface ImportOptions { model: string; out: string; dataset: string; dataDir?: string; backend: 'native' | 'reference'; warn?: (msg: string) => void }
export interface ImportReport { file: string; model: string; dataset: string; out: string; bytes: number; layers: ImportedLayer[]; testAccuracy: number }

export function importWeights(file: string, o: ImportOptions): ImportReport {
  if (o.out === file) throw new UserError(`--out ${o.out} would overwrite the input file; choose another path`);
  const st = importSafetensors(file);
  const data = loadDataset(o.dataset, { dataDir: o.dataDir });
  const model = buildModel(o.model, data.shape, data.classes, new Rng(0));
  const layers = importStateDict(model, st, file);
  const be = getBackend(o.backend, { warn: o.warn });
  const pred = argmaxRows(predictRows(be, model, data.test.images, data.test.count), data.classes);
  let correct = 0;
  for (let i = 0; i < data.test.count; i++) if (pred[i] === data.test.labels[i]) correct++;
  const saved = saveModel(o.out, model, { spec: o.model, inputShape: [...data.shape], classes: data.classes, dataset: data.name }, { meta: { importedFrom: file } });
  return { file, model: o.model, dataset: data.name, out: o.out, bytes: saved.bytes, layers, testAccuracy: correct / data.test.count };
}

export interface Gpt2ImportOptions { out: string; heads?: number }
export interface Gpt2ImportReport {
  checkpoint: string; out: string; bytes: number; spec: string; layers: number; heads: number; headsFrom: string; dim: number; context: number;
  vocab: number; tied: boolean; prefix: string; skipped: string[]; parameters: number; tokenizer: { vocabFile: string; mergesFile: string; tokens: number; merges: number };
}

/**
 * `winnow import-weights --gpt2 PATH`: a Hugging Face GPT-2 checkpoint (PATH a directory holding
 * model.safetensors, vocab.json, merges.txt and optionally config.json, or the .safetensors file with the
 * others beside it) into a winnow LM file holding the model and its byte-level BPE tokenizer.
 */
export function importGpt2Checkpoint(path: string, o: Gpt2ImportOptions): Gpt2ImportReport {
  let dir: string, file: string;
  try { const st = statSync(path); dir = st.isDirectory() ? path : dirname(path); file = st.isDirectory() ? join(path, 'model.safetensors') : path; } catch {
    throw new UserError(`--gpt2 ${path}: no such file or directory (expected a directory with model.safetensors, vocab.json, merges.txt)`);
  }
  if (resolve(o.out) === resolve(file)) throw new UserError(`--out ${o.out} would overwrite the checkpoint; choose another path`);
  const need = (name: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new UserError(`--gpt2 ${path}: ${name} is missing in ${dir} (a GPT-2 checkpoint needs model.safetensors, vocab.json and merges.txt; config.json is optional)`);
    return p;
  };
  need(basename(file));
  const vocabPath = need('vocab.json'), mergesPath = need('merges.txt');
  const configPath = join(dir, 'config.json');
  const config = existsSync(configPath) ? { json: readUserJsonObject(configPath), path: configPath } : undefined;
  const tokenizer = BpeTokenizer.fromFiles(vocabPath, mergesPath);
  const imported = importGpt2(importSafetensors(file), file, { config, heads: o.heads });
  const c = imported.config;
  if (tokenizer.size > c.vocab) throw new UserError(`${vocabPath}: ${tokenizer.size} tokens, but the checkpoint's wte.weight has only ${c.vocab} rows`);
  const bytes = saveLm(o.out, imported.model, imported.spec, tokenizer, { importedFrom: file, source: 'huggingface-gpt2' });
  return {
    checkpoint: file, out: o.out, bytes, spec: imported.spec, layers: c.layers, heads: c.heads, headsFrom: imported.headsFrom, dim: c.dim, context: c.context,
    vocab: c.vocab, tied: c.tied, prefix: imported.prefix, skipped: imported.skipped, parameters: imported.model.parameterCount(),
    tokenizer: { vocabFile: vocabPath, mergesFile: mergesPath, tokens: tokenizer.size, merges: tokenizer.merges.length },
  };
}

function readUserJsonObject(path: string): Record<string, unknown> {
  const v = readUserJson(path, path);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}
