// The winnow model file: a versioned, checksummed container holding any mix of formats and encodings.
//
//   offset 0   "WINNOW\0"              7 bytes magic
//   7          version                 u8 (= 1)
//   8          H                       u32 little-endian, header length
//   12         header                  H bytes UTF-8 JSON:
//                {"meta": {…any JSON…}, "tensors": [{"name", "shape", "format", "encoding",
//                  "nnz", "stored", "offset", "length"}, …]}
//   12 + H     payloads                concatenated in header order, offsets relative to 12 + H,
//                                      no holes, no overlap (as safetensors), each payload laid out
//                                      by src/sparse/encodings.ts
//   end − 4    CRC-32                  u32 LE over every byte before it
//
// File size = 16 + H + Σ payload bytes, and each payload's size is a function of the header fields
// alone, so predictModelFileBytes() equals the written size exactly. Loading trusts nothing: every
// malformed input is a UserError naming the file and the field.
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { crc32 } from './crc32.js';
import { FORMAT_NAMES, isFormatName } from '../quant/formats.js';
import { readUserFile } from '../util/read.js';
import {
  ENCODING_NAMES, type EncodedTensor, type TensorPlan, checkLayout, isEncodingName, payloadBytes, tensorLayout, validateTensor,
} from '../sparse/encodings.js';

export const MODEL_MAGIC = new Uint8Array([0x57, 0x49, 0x4e, 0x4e, 0x4f, 0x57, 0x00]); // "WINNOW\0"
export const MODEL_VERSION = 1;
const PREFIX = 12; // magic + version + header length
const TRAILER = 4; // CRC-32
/** Refuse tensors larger than this many elements (a lying header must not make us allocate gigabytes). */
export const DEFAULT_MAX_ELEMENTS = 1 << 28;
const MAX_TENSORS = 1 << 20;
const MAX_RANK = 8;

export type ModelMeta = Record<string, unknown>;

export interface ModelFile {
  readonly version: number;
  readonly meta: ModelMeta;
  readonly tensors: EncodedTensor[];
}

export interface LoadOptions {
  /** Largest tensor (elements) accepted; default 2^28. */
  maxElements?: number;
}

type TensorDesc = Omit<EncodedTensor, 'payload'>;

function headerEntries(tensors: readonly TensorDesc[]) {
  let offset = 0;
  return tensors.map((t) => {
    const length = payloadBytes(tensorLayout(t));
    const e = { name: t.name, shape: [...t.shape], format: t.format, encoding: t.encoding, nnz: t.nnz, stored: t.stored, offset, length };
    offset += length;
    return e;
  });
}

function headerBytes(tensors: readonly TensorDesc[], meta: ModelMeta): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name.length === 0) throw new UserError('model file: every tensor needs a non-empty name');
    if (seen.has(t.name)) throw new UserError(`model file: duplicate tensor name '${t.name}'`);
    seen.add(t.name);
  }
  let json: string;
  try {
    json = JSON.stringify({ meta, tensors: headerEntries(tensors) });
  } catch (e) {
    throw new UserError(`model file: metadata is not JSON-serializable (${(e as Error).message})`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new UserError('model file: metadata must be a JSON object');
  return new TextEncoder().encode(json);
}

/** Exact size in bytes of the file saveModelFile would write (tensors may be plans: no payload needed). */
export function predictModelFileBytes(tensors: readonly (TensorPlan | EncodedTensor)[], meta: ModelMeta = {}): number {
  const h = headerBytes(tensors, meta);
  let data = 0;
  for (const t of tensors) data += payloadBytes(tensorLayout(t));
  return PREFIX + h.length + data + TRAILER;
}

export function serializeModelFile(tensors: readonly EncodedTensor[], meta: ModelMeta = {}): Uint8Array {
  for (const t of tensors) {
    const need = payloadBytes(tensorLayout(t));
    if (t.payload.length !== need) throw new UserError(`model file: tensor '${t.name}' payload is ${t.payload.length} bytes, its layout needs ${need}`);
  }
  const h = headerBytes(tensors, meta);
  let data = 0;
  for (const t of tensors) data += t.payload.length;
  const out = new Uint8Array(PREFIX + h.length + data + TRAILER);
  out.set(MODEL_MAGIC, 0);
  out[7] = MODEL_VERSION;
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, PREFIX);
  let off = PREFIX + h.length;
  for (const t of tensors) { out.set(t.payload, off); off += t.payload.length; }
  new DataView(out.buffer).setUint32(off, crc32(out, 0, off), true);
  return out;
}

/** Writes atomically (temp + fsync + rename). Returns the file size, which equals predictModelFileBytes(). */
export function saveModelFile(path: string, tensors: readonly EncodedTensor[], meta: ModelMeta = {}): number {
  const bytes = serializeModelFile(tensors, meta);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

export function loadModelFile(path: string, opts: LoadOptions = {}): ModelFile {
  return parseModelFile(readUserFile(path, `model file ${path}`), path, opts);
}

/** Parses and fully validates a model file held in memory. `file` names it in errors. */
export function parseModelFile(bytes: Uint8Array, file: string, opts: LoadOptions = {}): ModelFile {
  const maxElements = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const fail = (field: string, why: string): never => { throw new UserError(`${file}: ${field}: ${why}`); };
  if (bytes.length < PREFIX + TRAILER) fail('file', `truncated: ${bytes.length} bytes, a model file has at least ${PREFIX + TRAILER}`);
  for (let i = 0; i < MODEL_MAGIC.length; i++) {
    if (bytes[i] !== MODEL_MAGIC[i]) fail('magic', 'not a winnow model file (expected "WINNOW\\0")');
  }
  if (bytes[7] !== MODEL_VERSION) fail('version', `unknown version ${bytes[7]} (this winnow reads version ${MODEL_VERSION})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = dv.getUint32(8, true);
  if (h > bytes.length - PREFIX - TRAILER) fail('header length', `${h} bytes, but only ${bytes.length - PREFIX - TRAILER} remain (truncated file?)`);
  const end = bytes.length - TRAILER;
  const stored = dv.getUint32(end, true), actual = crc32(bytes, 0, end);
  if (stored !== actual) fail('checksum', `CRC-32 mismatch (file says ${hex(stored)}, contents give ${hex(actual)}): corrupted or truncated`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + h)));
  } catch (e) {
    fail('header', `not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) fail('header', 'must be a JSON object');
  const hdr = header as Record<string, unknown>;
  const meta = hdr.meta ?? {};
  if (!isObject(meta)) fail('header.meta', 'must be a JSON object');
  if (!Array.isArray(hdr.tensors)) fail('header.tensors', 'must be an array');
  const list = hdr.tensors as unknown[];
  if (list.length > MAX_TENSORS) fail('header.tensors', `${list.length} tensors exceeds the limit ${MAX_TENSORS}`);

  const dataStart = PREFIX + h, dataLen = end - dataStart;
  const names = new Set<string>();
  const tensors: EncodedTensor[] = [];
  let expectOffset = 0;
  list.forEach((raw, i) => {
    const at = `tensors[${i}]`;
    if (!isObject(raw)) fail(at, 'must be an object');
    const e = raw as Record<string, unknown>;
    const name = e.name;
    if (typeof name !== 'string' || name.length === 0 || name.length > 4096) fail(`${at}.name`, 'must be a non-empty string (≤ 4096 chars)');
    const nm = name as string;
    const tat = `tensor '${nm}'`;
    if (names.has(nm)) fail(`${tat}.name`, 'duplicate tensor name');
    names.add(nm);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK) fail(`${tat}.shape`, `must be an array of at most ${MAX_RANK} dimensions`);
    let numel = 1;
    for (const [k, d] of (shape as unknown[]).entries()) {
      if (!Number.isSafeInteger(d) || (d as number) < 1) fail(`${tat}.shape[${k}]`, `must be a positive integer, found ${JSON.stringify(d)}`);
      numel *= d as number;
      if (numel > maxElements) fail(`${tat}.shape`, `[${(shape as number[]).join(', ')}] has more than ${maxElements} elements (absurd dimensions?)`);
    }
    if (!isFormatName(e.format)) fail(`${tat}.format`, `unknown format ${JSON.stringify(e.format)} (expected one of ${FORMAT_NAMES.join(', ')})`);
    if (!isEncodingName(e.encoding)) fail(`${tat}.encoding`, `unknown encoding ${JSON.stringify(e.encoding)} (expected one of ${ENCODING_NAMES.join(', ')})`);
    for (const f of ['nnz', 'stored', 'offset', 'length'] as const) {
      if (!Number.isSafeInteger(e[f]) || (e[f] as number) < 0) fail(`${tat}.${f}`, `must be a non-negative integer, found ${JSON.stringify(e[f])}`);
    }
    const desc: TensorDesc = {
      name: nm, shape: shape as number[], format: e.format as EncodedTensor['format'], encoding: e.encoding as EncodedTensor['encoding'],
      nnz: e.nnz as number, stored: e.stored as number,
    };
    const layout = tensorLayout(desc);
    const bad = checkLayout(layout);
    if (bad) fail(`${tat}.${bad[0]}`, bad[1]);
    const need = payloadBytes(layout);
    const offset = e.offset as number, length = e.length as number;
    if (length !== need) fail(`${tat}.length`, `${length} bytes, but shape/format/encoding/stored need exactly ${need}`);
    if (offset !== expectOffset) fail(`${tat}.offset`, `${offset}, expected ${expectOffset} (payloads are contiguous, in header order)`);
    if (offset + length > dataLen) fail(`${tat}.offset`, `payload [${offset}, ${offset + length}) runs past the data section (${dataLen} bytes)`);
    expectOffset = offset + length;
    const t: EncodedTensor = { ...desc, shape: [...desc.shape], payload: bytes.slice(dataStart + offset, dataStart + offset + length) };
    validateTensor(t, `${file}: ${tat}`);
    tensors.push(t);
  });
  if (expectOffset !== dataLen) fail('data', `${dataLen - expectOffset} unaccounted bytes after the last payload`);
  return { version: bytes[7]!, meta: meta as ModelMeta, tensors };
}

function isObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function hex(n: number): string { return '0x' + n.toString(16).padStart(8, '0'); }
