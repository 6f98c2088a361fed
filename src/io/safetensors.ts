// safetensors interop for dense weights (huggingface/safetensors; docs/FORMATS.md §15):
//   u64 LE N | N bytes UTF-8 JSON, starts with '{', space-padded to a multiple of 8 |
//   data buffer, little-endian, C order.
// Header: "name" → {"dtype", "shape", "data_offsets": [BEGIN, END)} relative to the buffer, plus
// optional "__metadata__" (string → string). No holes, no overlap, header ≤ 100,000,000 bytes.
// Dense tensors: we write F32; we read F32, F16, BF16 (widened exactly to float32) and F64 (rounded to
// float32). Raw tensors (serializeRawSafetensors / parseRawSafetensors) carry any dtype of the format's
// table as bytes, sub-byte dtypes (F4, F6_*) packed; quantized-safetensors.ts builds on them.
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { bf16BitsToF32, f16BitsToF32 } from '../quant/minifloat.js';
import { readUserFile } from '../util/read.js';

export interface DenseTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  readonly tensors: DenseTensor[];
  readonly metadata: Record<string, string>;
}

/** A tensor as stored: dtype name from the safetensors table, shape in elements, little-endian bytes. */
export interface RawTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

const MAX_HEADER = 100_000_000;
/** Bits per element of every dtype the safetensors format defines (huggingface/safetensors Dtype). */
export const SAFETENSORS_DTYPE_BITS = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BITS;
const DENSE_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

/** Bytes a tensor of `dtype` and `numel` elements occupies; null when a sub-byte count is not whole bytes. */
export function safetensorsBytes(dtype: SafetensorsDtype, numel: number): number | null {
  const bits = SAFETENSORS_DTYPE_BITS[dtype] * numel;
  return bits % 8 === 0 ? bits / 8 : null;
}

export function serializeSafetensors(tensors: readonly DenseTensor[], metadata: Record<string, string> = {}): Uint8Array {
  return serializeRawSafetensors(tensors.map((t): RawTensor => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new UserError(`safetensors: tensor '${t.name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const bytes = new Uint8Array(4 * numel);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < numel; i++) dv.setFloat32(4 * i, t.data[i]!, true);
    return { name: t.name, dtype: 'F32', shape: t.shape, bytes };
  }), metadata);
}

/** Serializes tensors of any dtype, in the given order (data offsets follow it). */
export function serializeRawSafetensors(tensors: readonly RawTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new UserError(`safetensors: __metadata__.${k} must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name === '__proto__' || t.name.length === 0) throw new UserError(`safetensors: invalid tensor name '${t.name}'`);
    if (Object.prototype.hasOwnProperty.call(header, t.name)) throw new UserError(`safetensors: duplicate tensor name '${t.name}'`);
    if (!Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BITS, t.dtype)) throw new UserError(`safetensors: tensor '${t.name}' has unknown dtype '${t.dtype}'`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const need = safetensorsBytes(t.dtype, numel);
    if (need === null || need !== t.bytes.length) throw new UserError(`safetensors: tensor '${t.name}' is ${t.bytes.length} bytes, ${t.dtype} [${t.shape.join(', ')}] needs ${need ?? 'whole bytes'}`);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + need] };
    offset += need;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil(raw.length / 8) * 8; // Rust writer pads with spaces to a multiple of 8
  json += ' '.repeat(padded - raw.length);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let off = 8 + hb.length;
  for (const t of tensors) { out.set(t.bytes, off); off += t.bytes.length; }
  return out;
}

export function exportSafetensors(path: string, tensors: readonly DenseTensor[], metadata: Record<string, string> = {}): number {
  const bytes = serializeSafetensors(tensors, metadata);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

export function importSafetensors(path: string, opts: { maxElements?: number } = {}): SafetensorsFile {
  return parseSafetensors(readUserFile(path, `safetensors file ${path}`), path, opts);
}

export function parseSafetensors(bytes: Uint8Array, file: string, opts: { maxElements?: number } = {}): SafetensorsFile {
  const raw = parseRawSafetensors(bytes, file, { ...opts, dtypes: DENSE_DTYPES });
  const tensors = raw.tensors.map((e): DenseTensor => {
    const numel = e.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(numel);
    const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
    for (let i = 0; i < numel; i++) {
      switch (e.dtype) {
        case 'F32': data[i] = dv.getFloat32(4 * i, true); break;
        case 'F64': data[i] = dv.getFloat64(8 * i, true); break;
        case 'F16': data[i] = f16BitsToF32(dv.getUint16(2 * i, true)); break;
        case 'BF16': data[i] = bf16BitsToF32(dv.getUint16(2 * i, true)); break;
      }
    }
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata: raw.metadata };
}

export function importRawSafetensors(path: string, opts: { maxElements?: number } = {}): { tensors: RawTensor[]; metadata: Record<string, string> } {
  return parseRawSafetensors(readUserFile(path, `safetensors file ${path}`), path, opts);
}

/** Parses and validates a safetensors file; tensors come back as raw bytes (views into `bytes`), in header order. */
export function parseRawSafetensors(bytes: Uint8Array, file: string, opts: { maxElements?: number; dtypes?: readonly string[] } = {}): { tensors: RawTensor[]; metadata: Record<string, string> } {
  const maxElements = opts.maxElements ?? 1 << 28;
  const fail = (field: string, why: string): never => { throw new UserError(`${file}: ${field}: ${why}`); };
  if (bytes.length < 8) fail('header size', `file is ${bytes.length} bytes, shorter than the 8-byte header size`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail('header size', `${n64} exceeds the limit ${MAX_HEADER}`);
  const n = Number(n64);
  if (n > bytes.length - 8) fail('header size', `${n} bytes, but only ${bytes.length - 8} follow (truncated?)`);
  if (n < 2 || bytes[8] !== 0x7b) fail('header', "must be a JSON object starting with '{'");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail('header', `not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header', 'must be a JSON object');
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__proto__') fail('header', "tensor name '__proto__' is not accepted");
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__', 'must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string' || k === '__proto__') fail(`__metadata__.${k}`, 'must be a string under an ordinary key');
        metadata[k] = v as string;
      }
      continue;
    }
    const at = `tensor '${name}'`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(at, 'must be an object');
    const e = raw as Record<string, unknown>;
    if (typeof e.dtype !== 'string') fail(`${at}.dtype`, 'missing');
    const dtype = e.dtype as string;
    if (opts.dtypes && !opts.dtypes.includes(dtype)) fail(`${at}.dtype`, `${dtype} is not supported for import (${opts.dtypes.join(', ')})`);
    if (!Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BITS, dtype)) fail(`${at}.dtype`, `${dtype} is not a safetensors dtype`);
    if (!Array.isArray(e.shape) || e.shape.length > 8) fail(`${at}.shape`, 'must be an array of at most 8 dimensions');
    let numel = 1;
    for (const [k, d] of (e.shape as unknown[]).entries()) {
      if (!Number.isSafeInteger(d) || (d as number) < 0) fail(`${at}.shape[${k}]`, `must be a non-negative integer, found ${JSON.stringify(d)}`);
      numel *= d as number;
      if (numel > maxElements) fail(`${at}.shape`, `more than ${maxElements} elements (absurd dimensions?)`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      fail(`${at}.data_offsets`, 'must be [BEGIN, END] non-negative integers');
    }
    const [begin, end] = off as [number, number];
    if (end < begin) fail(`${at}.data_offsets`, `END ${end} < BEGIN ${begin}`);
    if (end > dataLen) fail(`${at}.data_offsets`, `END ${end} beyond the ${dataLen}-byte data buffer`);
    const need = safetensorsBytes(dtype as SafetensorsDtype, numel);
    if (need === null) fail(`${at}.shape`, `${numel} ${dtype} elements are not a whole number of bytes`);
    if (end - begin !== need) fail(`${at}.data_offsets`, `${end - begin} bytes, but ${dtype} [${(e.shape as number[]).join(', ')}] needs ${need}`);
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: e.shape as number[], begin, end });
  }
  // No holes, no overlap: sorted by BEGIN the ranges must tile [0, dataLen).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) fail(`tensor '${e.name}'.data_offsets`, e.begin < cursor ? `overlaps the previous tensor (${e.begin} < ${cursor})` : `leaves a hole [${cursor}, ${e.begin})`);
    cursor = e.end;
  }
  if (cursor !== dataLen) fail('data', `${dataLen - cursor} bytes not covered by any tensor`);
  const tensors = entries.map((e): RawTensor => ({ name: e.name, dtype: e.dtype, shape: e.shape, bytes: bytes.subarray(dataStart + e.begin, dataStart + e.end) }));
  return { tensors, metadata };
}
