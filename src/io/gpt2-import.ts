// Hugging Face GPT-2 checkpoints (safetensors) → winnow's Gpt. The layout (transformers' modeling_gpt2):
//   wte.weight [V, D], wpe.weight [P, D], ln_f.{weight,bias} [D], and per block h.N.:
//   ln_1 / ln_2 {weight,bias} [D]; attn.c_attn.weight [D, 3D] + bias [3D]; attn.c_proj.weight [D, D] + bias;
//   mlp.c_fc.weight [D, 4D] + bias [4D]; mlp.c_proj.weight [4D, D] + bias [D].
// GPT2LMHeadModel files prefix these with `transformer.` and may carry lm_head.weight [V, D] (the tied
// head: equal to wte, or its own matrix → an untied winnow head). Old files also hold the causal-mask
// buffers h.N.attn.bias [1, 1, P, P] and h.N.attn.masked_bias []: not weights, skipped.
// Conv1D stores [in, out] (y = x·W + b), the transpose of winnow's [out, in], so those matrices are
// transposed. The model is winnow's gpt:L-H-D-P: pre-LayerNorm (ε 1e-5), softmax(q·kᵀ/√hd), the tanh GELU
// ("gelu_new"), tied head. Sizes come from the tensor shapes; heads from config.json (n_head) or the
// caller, and a config.json present must agree with the tensors and ask for nothing winnow computes
// differently. Every tensor must be present with its exact shape, and every tensor in the file used.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Gpt, type GptConfig } from '../nn/gpt/model.js';
import { gptConfig } from '../models/gpt.js';
import { UserError } from '../util/errors.js';
import type { DenseTensor, SafetensorsFile } from './safetensors.js';

export interface Gpt2ImportOptions {
  /** config.json parsed, and its path for errors */
  config?: { json: Record<string, unknown>; path: string };
  /** the number of heads when there is no config.json */
  heads?: number;
}

export interface Gpt2Imported {
  model: Gpt;
  spec: string;
  config: GptConfig;
  /** '' or 'transformer.' */
  prefix: string;
  /** where the head count came from */
  headsFrom: string;
  /** tensors present but not weights (the causal-mask buffers) */
  skipped: string[];
}

const GELU_TANH = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']; // the same tanh formula under three names

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** [rows, cols] row-major → [cols, rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

export function importGpt2(file: SafetensorsFile, where: string, o: Gpt2ImportOptions = {}): Gpt2Imported {
  const byName = new Map<string, DenseTensor>(file.tensors.map((t) => [t.name, t]));
  const prefix = byName.has('transformer.wte.weight') ? 'transformer.' : byName.has('wte.weight') ? '' : null;
  if (prefix === null) throw new UserError(`${where}: tensor 'wte.weight' (or 'transformer.wte.weight') is missing: not a GPT-2 checkpoint in the Hugging Face layout`);
  const used = new Set<string>();
  const get = (name: string, shape: readonly number[], why = ''): DenseTensor => {
    const full = prefix + name, t = byName.get(full);
    if (!t) throw new UserError(`${where}: tensor '${full}' is missing (expected ${shapeText(shape)}${why})`);
    if (t.shape.join() !== shape.join()) throw new UserError(`${where}: tensor '${full}' has shape ${shapeText(t.shape)}, expected ${shapeText(shape)}${why}`);
    for (let k = 0; k < t.data.length; k++) if (!Number.isFinite(t.data[k]!)) throw new UserError(`${where}: tensor '${full}' holds a non-finite value at index ${k}`);
    used.add(full);
    return t;
  };

  const wte = byName.get(prefix + 'wte.weight')!;
  if (wte.shape.length !== 2 || wte.shape[0]! < 1 || wte.shape[1]! < 1) throw new UserError(`${where}: tensor '${prefix}wte.weight' has shape ${shapeText(wte.shape)}, expected [vocab, n_embd]`);
  const [V, D] = wte.shape as [number, number];
  const wpeT = byName.get(prefix + 'wpe.weight');
  if (!wpeT) throw new UserError(`${where}: tensor '${prefix}wpe.weight' is missing (expected [n_positions, ${D}])`);
  if (wpeT.shape.length !== 2 || wpeT.shape[0]! < 1) throw new UserError(`${where}: tensor '${prefix}wpe.weight' has shape ${shapeText(wpeT.shape)}, expected [n_positions, ${D}]`);
  const P = wpeT.shape[0]!;
  let L = 0;
  for (const t of file.tensors) {
    const m = t.name.startsWith(prefix) ? /^h\.(\d+)\./.exec(t.name.slice(prefix.length)) : null;
    if (m) L = Math.max(L, Number(m[1]) + 1);
  }
  if (L === 0) throw new UserError(`${where}: no block tensors ('${prefix}h.0.ln_1.weight', …): not a GPT-2 checkpoint`);

  // config.json, when present, must describe these tensors and winnow's arithmetic
  const cfg = o.config?.json;
  const cfgWhere = o.config?.path ?? 'config.json';
  const agree = (keys: string[], actual: number, what: string): void => {
    const k = keys.find((x) => cfg?.[x] !== undefined && cfg?.[x] !== null);
    if (k === undefined) return;
    if (cfg![k] !== actual) throw new UserError(`${cfgWhere}: ${k} is ${JSON.stringify(cfg![k])}, but ${what} ${actual}`);
  };
  let heads: number, headsFrom: string;
  if (cfg) {
    agree(['n_embd'], D, `'${prefix}wte.weight' gives n_embd`);
    agree(['vocab_size'], V, `'${prefix}wte.weight' gives vocab_size`);
    agree(['n_positions', 'n_ctx'], P, `'${prefix}wpe.weight' gives n_positions`);
    agree(['n_layer'], L, `the file's blocks h.0 … give n_layer`);
    const act = cfg['activation_function'] ?? 'gelu_new';
    if (!GELU_TANH.includes(act as string)) throw new UserError(`${cfgWhere}: activation_function ${JSON.stringify(act)} is not supported (winnow's GPT uses the tanh GELU: ${GELU_TANH.join(', ')})`);
    const eps = cfg['layer_norm_epsilon'] ?? 1e-5;
    if (typeof eps !== 'number' || Math.abs(eps - 1e-5) > 1e-12) throw new UserError(`${cfgWhere}: layer_norm_epsilon ${JSON.stringify(eps)} is not supported (winnow's LayerNorm uses 1e-5)`);
    const inner = cfg['n_inner'];
    if (inner !== undefined && inner !== null && inner !== 4 * D) throw new UserError(`${cfgWhere}: n_inner ${JSON.stringify(inner)} is not supported (winnow's MLP is 4·n_embd = ${4 * D})`);
    if (cfg['scale_attn_weights'] === false) throw new UserError(`${cfgWhere}: scale_attn_weights false is not supported (winnow divides by √head width)`);
    if (cfg['scale_attn_by_inverse_layer_idx'] === true) throw new UserError(`${cfgWhere}: scale_attn_by_inverse_layer_idx true is not supported`);
    const h = cfg['n_head'];
    if (!Number.isInteger(h) || (h as number) < 1) throw new UserError(`${cfgWhere}: n_head must be a positive integer, found ${JSON.stringify(h)}`);
    heads = h as number; headsFrom = `${cfgWhere} (n_head)`;
    if (o.heads !== undefined && o.heads !== heads) throw new UserError(`--heads ${o.heads}: ${cfgWhere} says n_head ${heads}`);
  } else if (o.heads !== undefined) {
    heads = o.heads; headsFrom = '--heads';
  } else if (D % 64 === 0) {
    heads = D / 64; headsFrom = 'assumed: 64-wide heads as every GPT-2 size (no config.json, no --heads)';
  } else {
    throw new UserError(`${where}: the number of heads is not in the tensor shapes (n_embd ${D}); put config.json (n_head) beside the checkpoint or pass --heads`);
  }
  if (D % heads !== 0) throw new UserError(`${where}: n_embd ${D} is not a multiple of ${heads} heads (${headsFrom})`);

  const head = byName.get('lm_head.weight') ?? byName.get(prefix + 'lm_head.weight');
  let tied = true;
  if (head) {
    if (head.shape.join() !== [V, D].join()) throw new UserError(`${where}: tensor '${head.name}' has shape ${shapeText(head.shape)}, expected ${shapeText([V, D])} (the output head, as wte)`);
    tied = head.data.every((x, i) => x === wte.data[i]);
    used.add(head.name);
  }
  const spec = `gpt:${L}-${heads}-${D}-${P}${tied ? '' : '-untied'}`;
  let config: GptConfig;
  try { config = gptConfig(spec, V, 'checkpoint'); } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
  const model = new Gpt(config, { storage: 'auto' });
  model.wte.setWeights(Float32Array.from(get('wte.weight', [V, D]).data), null);
  model.wpe.setWeights(Float32Array.from(get('wpe.weight', [P, D], ` (n_embd ${D})`).data), null);
  if (!tied) model.head!.setWeights(Float32Array.from(head!.data), null);
  const setNorm = (ln: { gamma: Float32Array; beta: Float32Array }, name: string): void => {
    ln.gamma.set(get(`${name}.weight`, [D]).data);
    ln.beta.set(get(`${name}.bias`, [D]).data);
  };
  const conv1d = (l: { setWeights(w: Float32Array, m: null): void; bias: Float32Array }, name: string, inDim: number, outDim: number): void => {
    const w = get(`${name}.weight`, [inDim, outDim], ` (Conv1D [in, out] with n_embd ${D})`);
    l.setWeights(transpose(w.data, inDim, outDim), null);
    l.bias.set(get(`${name}.bias`, [outDim]).data);
  };
  const skipped: string[] = [];
  model.blocks.forEach((b, i) => {
    const p = `h.${i}`;
    setNorm(b.ln1, `${p}.ln_1`);
    conv1d(b.attn, `${p}.attn.c_attn`, D, 3 * D);
    conv1d(b.proj, `${p}.attn.c_proj`, D, D);
    setNorm(b.ln2, `${p}.ln_2`);
    conv1d(b.fc, `${p}.mlp.c_fc`, D, 4 * D);
    conv1d(b.fcProj, `${p}.mlp.c_proj`, 4 * D, D);
    for (const buf of [`${p}.attn.bias`, `${p}.attn.masked_bias`]) {
      const t = byName.get(prefix + buf);
      if (t) { skipped.push(t.name); used.add(t.name); }
    }
  });
  setNorm(model.lnF, 'ln_f');
  const extra = file.tensors.filter((t) => !used.has(t.name)).map((t) => `'${t.name}'`);
  if (extra.length) throw new UserError(`${where}: tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 6).join(', ')}${extra.length > 6 ? ', …' : ''} ${extra.length > 1 ? 'are' : 'is'} not part of GPT-2 (${spec})`);
  return { model, spec, config, prefix, headsFrom, skipped };
}

/**
 * Whether path looks like a Hugging Face GPT-2 checkpoint: a directory holding model.safetensors, or a
 * safetensors file whose header names wte.weight (or transformer.wte.weight). Reads only the header;
 * anything unreadable is "no" (the importer then reports the real problem).
 */
export function looksLikeGpt2(path: string): boolean {
  try {
    const file = statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
    const fd = openSync(file, 'r');
    try {
      const len = Buffer.alloc(8);
      if (readSync(fd, len, 0, 8, 0) !== 8) return false;
      const n = Number(len.readBigUInt64LE(0));
      if (n < 2 || n > 100_000_000) return false;
      const head = Buffer.alloc(n);
      if (readSync(fd, head, 0, n, 8) !== n) return false;
      const names = Object.keys(JSON.parse(head.toString('utf8')) as object);
      return names.includes('wte.weight') || names.includes('transformer.wte.weight');
    } finally { closeSync(fd); }
  } catch {
    return false;
  }
}
