// safetensors interop for dense weights (huggingface/safetensors; docs/FORMATS.md §15):
//   u64 LE N | N bytes UTF-8 JSON, starts with '{', space-padded to a multiple of 8 |
//   data buffer, little-endian, C order.
// Header: "name" → {"dtype", "shape", "data_offsets": [BEGIN, END)} relative to the buffer, plus
// optional "__metadata__" (string → string). No holes, no overlap, header ≤ 100,000,000 bytes.
// We write F32; we read F32, F16, BF16 (widened exactly to float32) and F64 (rounded to float32).
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

const MAX_HEADER = 100_000_000;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export function serializeSafetensors(tensors: readonly DenseTensor[], metadata: Record<string, string> = {}): Uint8Array {
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
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new UserError(`safetensors: tensor '${t.name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * numel] };
    offset += 4 * numel;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil(raw.length / 8) * 8; // Rust writer pads with spaces to a multiple of 8
  json += ' '.repeat(padded - raw.length);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let off = 8 + hb.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(off + 4 * i, t.data[i]!, true);
    off += 4 * t.data.length;
  }
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
  const entries: Array<{ name: string; dtype: string; shape: number[]; begin: number; end: number }> = [];
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
    const size = DTYPE_BYTES[dtype];
    if (!size) fail(`${at}.dtype`, `${dtype} is not supported for import (F32, F16, BF16, F64)`);
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
    if (end - begin !== numel * size!) fail(`${at}.data_offsets`, `${end - begin} bytes, but ${dtype} [${(e.shape as number[]).join(', ')}] needs ${numel * size!}`);
    entries.push({ name, dtype, shape: e.shape as number[], begin, end });
  }
  // No holes, no overlap: sorted by BEGIN the ranges must tile [0, dataLen).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) fail(`tensor '${e.name}'.data_offsets`, e.begin < cursor ? `overlaps the previous tensor (${e.begin} < ${cursor})` : `leaves a hole [${cursor}, ${e.begin})`);
    cursor = e.end;
  }
  if (cursor !== dataLen) fail('data', `${dataLen - cursor} bytes not covered by any tensor`);
  const tensors = entries.map((e): DenseTensor => {
    const numel = e.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(numel);
    const base = dataStart + e.begin;
    for (let i = 0; i < numel; i++) {
      switch (e.dtype) {
        case 'F32': data[i] = dv.getFloat32(base + 4 * i, true); break;
        case 'F64': data[i] = dv.getFloat64(base + 8 * i, true); break;
        case 'F16': data[i] = f16BitsToF32(dv.getUint16(base + 2 * i, true)); break;
        case 'BF16': data[i] = bf16BitsToF32(dv.getUint16(base + 2 * i, true)); break;
      }
    }
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata };
}
