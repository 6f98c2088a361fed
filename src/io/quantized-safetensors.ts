// A winnow model file as safetensors WITHOUT dequantizing: every stored tensor keeps its bytes, split
// into named tensors with the format's standard dtypes (docs/FORMATS.md §17). For a stored tensor W
// (e.g. `fc1.weight`) of number format F and sparse encoding E:
//
//   W                the value codes: F32/F16/BF16, F8_E4M3 (fp8-e4m3*, mxfp8-e4m3), F8_E5M2 (fp8-e5m2*,
//                    mxfp8-e5m2), I8 (int8 symmetric), U8 (int8 asymmetric), F4 (mxfp4, nvfp4; two codes
//                    per byte, first in the low nibble; U8 [bytes] when the count is odd), and U8 [bytes]
//                    for the other sub-byte codes (int4, mxfp6, ternary, binary: winnow's LSB-first bit
//                    stream, src/quant/bitpack.ts). Shape: the tensor's shape when E is dense, else [stored].
//   W_scale          fp8: F32 [1] per tensor; MX: F8_E8M0 [ceil(n/32)]; nvfp4: F8_E4M3 [ceil(n/16)] (UE4M3);
//                    int*-channel, binary: F32 [rows]; int*-group: F16 [ceil(n/128)]; ternary: F32 [1] (γ).
//   W_scale_2        nvfp4 only: F32 [1], the per-tensor scale (ModelOpt's name for it).
//   W_zero_point     int*-asym only: zero points, U8 [n] for int8, U8 [bytes] packed 4-bit for int4.
//   W_crow_indices, W_col_indices   csr: U8/U16/U32 (narrowest that fits, as in the model file).
//   W_bitmask        bitmask: U8 [rows, ceil(cols/8)], LSB-first per row.
//   W_gaps           gap4 (U8, two 4-bit gaps per byte, low nibble first) / gap8 (U8, one per byte).
//   W_meta           2:4: U8, one nibble per group of 4 (bits 0–1 = first slot, 2–3 = second).
//
// `__metadata__` holds "winnow.tensors" (JSON object: name → [format, encoding, shape, nnz, stored] of each
// stored tensor, in payload order), "winnow.meta" (the model file's meta, so the file converts back losslessly) and
// "winnow.layout" (this convention in one line). The sections are exactly the model file's payload
// bytes, so the data is the same size as the .wnn payload; only the JSON header differs.
import { FORMATS, INT_GROUP, MX_BLOCK, NVFP4_BLOCK, type FormatName, isFormatName } from '../quant/formats.js';
import { packedBytes } from '../quant/bitpack.js';
import {
  type EncodedTensor, type EncodingName, indexBytes, indexWidth, isEncodingName, matrixView, payloadBytes, tensorLayout, validateTensor,
} from '../sparse/encodings.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ModelFile, ModelMeta } from './modelfile.js';
import { type RawTensor, type SafetensorsDtype, parseRawSafetensors, serializeRawSafetensors } from './safetensors.js';
import { readUserFile } from '../util/read.js';

export const QUANTIZED_LAYOUT = 'winnow-quantized/1 (docs/FORMATS.md §17)';

interface Section { suffix: string; dtype: SafetensorsDtype; shape: number[]; bytes: number }

const uintDtype = (w: 1 | 2 | 4): SafetensorsDtype => (w === 1 ? 'U8' : w === 2 ? 'U16' : 'U32');
/** A section of `count` elements of `dtype`, or of packed bytes when the dtype cannot hold them whole. */
function elems(suffix: string, dtype: SafetensorsDtype, count: number, bytes: number, shape?: number[]): Section {
  const bits = dtype === 'F4' ? 4 : 8 * (bytes / Math.max(count, 1));
  if (dtype === 'F4' && count % 2 !== 0) return { suffix, dtype: 'U8', shape: [bytes], bytes };
  if (count > 0 && bits * count !== 8 * bytes) throw new Error(`BUG: ${suffix}: ${count} × ${dtype} ≠ ${bytes} B`);
  return { suffix, dtype, shape: shape ?? [count], bytes };
}

/** The index sections of an encoding (their byte lengths sum to indexBytes). */
function indexSections(enc: EncodingName, rows: number, cols: number, stored: number): Section[] {
  switch (enc) {
    case 'dense': return [];
    case 'csr': {
      const wr = indexWidth(stored), wc = indexWidth(cols - 1);
      return [
        { suffix: '_crow_indices', dtype: uintDtype(wr), shape: [rows + 1], bytes: (rows + 1) * wr },
        { suffix: '_col_indices', dtype: uintDtype(wc), shape: [stored], bytes: stored * wc },
      ];
    }
    case 'bitmask': return [{ suffix: '_bitmask', dtype: 'U8', shape: [rows, Math.ceil(cols / 8)], bytes: rows * Math.ceil(cols / 8) }];
    case 'gap4': case 'gap8': { const b = indexBytes(enc, rows, cols, stored); return [{ suffix: '_gaps', dtype: 'U8', shape: [b], bytes: b }]; }
    case '2:4': { const b = indexBytes(enc, rows, cols, stored); return [{ suffix: '_meta', dtype: 'U8', shape: [b], bytes: b }]; }
  }
}

const CODE_DTYPE: Partial<Record<FormatName, SafetensorsDtype>> = {
  fp32: 'F32', fp16: 'F16', bf16: 'BF16',
  'fp8-e4m3': 'F8_E4M3', 'fp8-e4m3-sat': 'F8_E4M3', 'mxfp8-e4m3': 'F8_E4M3',
  'fp8-e5m2': 'F8_E5M2', 'fp8-e5m2-sat': 'F8_E5M2', 'mxfp8-e5m2': 'F8_E5M2',
  'int8-channel': 'I8', 'int8-group': 'I8', 'int8-channel-asym': 'U8', 'int8-group-asym': 'U8',
  mxfp4: 'F4', nvfp4: 'F4',
};

/** The code section: one element per stored value where a dtype holds the code, else packed bytes. */
function codeSection(format: FormatName, stored: number, shape: number[] | null): Section {
  const bytes = FORMATS[format].codeBytes(stored);
  const dtype = CODE_DTYPE[format];
  if (!dtype) return { suffix: '', dtype: 'U8', shape: [bytes], bytes };
  const s = elems('', dtype, stored, bytes, shape ?? undefined);
  return s.dtype === 'U8' && dtype === 'F4' ? s : { ...s, shape: shape ?? [stored] };
}

/** The scale sections of a format (their byte lengths sum to scaleBytes). */
function scaleSections(format: FormatName, stored: number, rows: number): Section[] {
  const total = FORMATS[format].scaleBytes(stored, rows);
  if (format === 'fp32' || format === 'fp16' || format === 'bf16') return [];
  if (format.startsWith('fp8-') || format === 'ternary') return [elems('_scale', 'F32', 1, 4)];
  if (format.startsWith('mx')) { const n = Math.ceil(stored / MX_BLOCK); return [elems('_scale', 'F8_E8M0', n, n)]; }
  if (format === 'nvfp4') { const n = Math.ceil(stored / NVFP4_BLOCK); return [elems('_scale', 'F8_E4M3', n, n), elems('_scale_2', 'F32', 1, 4)]; }
  if (format === 'binary') return [elems('_scale', 'F32', rows, 4 * rows)];
  const m = /^int(8|4)-(channel|group)(-asym)?$/.exec(format);
  if (!m) throw new Error(`BUG: no safetensors layout for format ${format}`);
  const bits = Number(m[1]), n = m[2] === 'channel' ? rows : Math.ceil(stored / INT_GROUP);
  const out = [m[2] === 'channel' ? elems('_scale', 'F32', n, 4 * n) : elems('_scale', 'F16', n, 2 * n)];
  if (m[3]) out.push(bits === 8 ? elems('_zero_point', 'U8', n, n) : { suffix: '_zero_point', dtype: 'U8', shape: [packedBytes(n, 4)], bytes: packedBytes(n, 4) });
  const sum = out.reduce((a, s) => a + s.bytes, 0);
  if (sum !== total) throw new Error(`BUG: ${format} scale sections ${sum} B ≠ ${total} B`);
  return out;
}

/** Sections of one stored tensor in payload order: [index][codes][scales]. */
function sectionsOf(t: Omit<EncodedTensor, 'payload'>): Section[] {
  const l = tensorLayout(t);
  const out = [
    ...indexSections(l.encoding, l.rows, l.cols, l.stored),
    codeSection(l.format, l.stored, l.encoding === 'dense' ? [...t.shape] : null),
    ...scaleSections(l.format, l.stored, l.rows),
  ];
  const sum = out.reduce((a, s) => a + s.bytes, 0);
  if (sum !== payloadBytes(l)) throw new Error(`BUG: ${t.name}: sections ${sum} B ≠ payload ${payloadBytes(l)} B`);
  return out;
}

/** The safetensors tensors and metadata of a model file, its stored bytes unchanged. */
export function quantizedSafetensors(file: Pick<ModelFile, 'tensors' | 'meta'>): { tensors: RawTensor[]; metadata: Record<string, string> } {
  const tensors: RawTensor[] = [];
  for (const t of file.tensors) {
    let off = 0;
    for (const s of sectionsOf(t)) {
      tensors.push({ name: t.name + s.suffix, dtype: s.dtype, shape: s.shape, bytes: t.payload.subarray(off, off + s.bytes) });
      off += s.bytes;
    }
  }
  const desc = Object.fromEntries(file.tensors.map((t) => [t.name, [t.format, t.encoding, [...t.shape], t.nnz, t.stored]]));
  return { tensors, metadata: { 'winnow.layout': QUANTIZED_LAYOUT, 'winnow.tensors': JSON.stringify(desc), 'winnow.meta': JSON.stringify(file.meta) } };
}

export function serializeQuantizedSafetensors(file: Pick<ModelFile, 'tensors' | 'meta'>): Uint8Array {
  const { tensors, metadata } = quantizedSafetensors(file);
  return serializeRawSafetensors(tensors, metadata);
}

export function saveQuantizedSafetensors(path: string, file: Pick<ModelFile, 'tensors' | 'meta'>): number {
  const bytes = serializeQuantizedSafetensors(file);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

/** Reads a file written by saveQuantizedSafetensors back into the model file's stored tensors (validated). */
export function parseQuantizedSafetensors(bytes: Uint8Array, file: string): { tensors: EncodedTensor[]; meta: ModelMeta } {
  const raw = parseRawSafetensors(bytes, file);
  const fail = (field: string, why: string): never => { throw new UserError(`${file}: ${field}: ${why}`); };
  const md = raw.metadata;
  if (md['winnow.tensors'] === undefined) fail('__metadata__', "no 'winnow.tensors' entry: not a quantized winnow export (use import-weights for PyTorch state dicts)");
  let desc: unknown, meta: unknown;
  try { desc = JSON.parse(md['winnow.tensors']!); meta = JSON.parse(md['winnow.meta'] ?? '{}'); } catch (e) { fail('__metadata__', `invalid JSON (${(e as Error).message})`); }
  if (typeof desc !== 'object' || desc === null || Array.isArray(desc)) fail('__metadata__.winnow.tensors', 'must be a JSON object');
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('__metadata__.winnow.meta', 'must be a JSON object');
  const byName = new Map(raw.tensors.map((t) => [t.name, t]));
  const used = new Set<string>();
  const tensors = Object.entries(desc as Record<string, unknown>).map(([name, d]): EncodedTensor => {
    const at = `__metadata__.winnow.tensors['${name}']`;
    if (!Array.isArray(d) || d.length !== 5) fail(at, 'must be [format, encoding, shape, nnz, stored]');
    const [format, encoding, shape, nnz, stored] = d as unknown[];
    const o = { name, format, encoding, shape, nnz, stored };
    if (name.length === 0 || !Array.isArray(o.shape) || !o.shape.every((x) => Number.isSafeInteger(x) && (x as number) >= 0) || o.shape.length > 8) fail(at, 'needs name and shape');
    if (!isFormatName(o.format)) fail(`${at}.format`, `unknown number format '${String(o.format)}'`);
    if (!isEncodingName(o.encoding)) fail(`${at}.encoding`, `unknown encoding '${String(o.encoding)}'`);
    if (!Number.isSafeInteger(o.nnz) || !Number.isSafeInteger(o.stored) || (o.nnz as number) < 0 || (o.stored as number) < 0) fail(at, 'nnz and stored must be non-negative integers');
    const [rows, cols] = matrixView(o.shape as number[]);
    if ((o.stored as number) > rows * cols || (o.nnz as number) > rows * cols) fail(at, `stored/nnz exceed the ${rows * cols} elements of the shape`);
    const t0 = { name: o.name as string, shape: o.shape as number[], format: o.format as FormatName, encoding: o.encoding as EncodingName, nnz: o.nnz as number, stored: o.stored as number };
    const secs = sectionsOf(t0);
    const payload = new Uint8Array(secs.reduce((a, s) => a + s.bytes, 0));
    let off = 0;
    for (const s of secs) {
      const name = t0.name + s.suffix;
      const r = byName.get(name);
      if (!r) fail(`tensor '${name}'`, `missing (${t0.format}/${t0.encoding} needs it)`);
      if (r!.dtype !== s.dtype || r!.shape.join() !== s.shape.join()) fail(`tensor '${name}'`, `expected ${s.dtype} [${s.shape.join(', ')}], found ${r!.dtype} [${r!.shape.join(', ')}]`);
      payload.set(r!.bytes, off); off += s.bytes; used.add(name);
    }
    const t: EncodedTensor = { ...t0, payload };
    validateTensor(t, `${file}: tensor '${t.name}'`);
    return t;
  });
  for (const t of raw.tensors) if (!used.has(t.name)) fail(`tensor '${t.name}'`, 'not described by __metadata__.winnow.tensors');
  return { tensors, meta: meta as ModelMeta };
}

export function importQuantizedSafetensors(path: string): { tensors: EncodedTensor[]; meta: ModelMeta } {
  return parseQuantizedSafetensors(readUserFile(path, `safetensors file ${path}`), path);
}
