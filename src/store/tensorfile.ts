// Tensor files (.wt): named typed arrays plus a small JSON metadata object in one binary file.
// Holds masks, initial/rewind weights, final weights and training checkpoints.
//
// Layout (all integers little-endian, payload little-endian):
//   [0, 8)            magic "WINNOWT\0"
//   [8, 12)           u32 format version (1)
//   [12, 16)          u32 header byte length H
//   [16, 16+H)        UTF-8 JSON header { meta, payloadBytes, tensors: [{ name, dtype, length, offset }] }
//   pad to 8 bytes    zeros
//   payload           tensors at their 8-byte-aligned offsets (relative to the payload start), zero padded
//   last 32 bytes     sha256 of every byte before it
// Written atomically (temp + rename), so a reader never sees a half-written file.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export type Tensor = Float32Array | Uint8Array | Int32Array;
export type TensorDtype = 'f32' | 'u8' | 'i32';
export type TensorMeta = Record<string, unknown>;

export interface TensorFile {
  tensors: Record<string, Tensor>;
  meta: TensorMeta;
}

const MAGIC = Buffer.from('WINNOWT\0', 'latin1');
const VERSION = 1;
const PREFIX = 16;
const CHECKSUM = 32;
const ALIGN = 8;
const ITEM: Record<TensorDtype, number> = { f32: 4, u8: 1, i32: 4 };
const LITTLE = endianness() === 'LE';

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function dtypeOf(t: unknown): TensorDtype | null {
  if (t instanceof Float32Array) return 'f32';
  if (t instanceof Uint8Array) return 'u8';
  if (t instanceof Int32Array) return 'i32';
  return null;
}

/** Reverses each `item`-byte group in place (only on big-endian hosts, where the file stays LE). */
function swapBytes(buf: Uint8Array, item: number): void {
  if (item === 1) return;
  for (let i = 0; i < buf.length; i += item) buf.subarray(i, i + item).reverse();
}

const headerSchema = z.object({
  meta: z.record(z.string(), z.unknown()),
  payloadBytes: z.number().int().nonnegative(),
  tensors: z.array(z.object({
    name: z.string().min(1),
    dtype: z.enum(['f32', 'u8', 'i32']),
    length: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
  }).strict()),
}).strict();
type Header = z.infer<typeof headerSchema>;

/** Saves `tensors` and `meta` (must survive JSON round trip) to `path` atomically. */
export function saveTensors(path: string, tensors: Record<string, Tensor>, meta: TensorMeta = {}): void {
  const entries: Header['tensors'] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = dtypeOf(t);
    if (dtype === null) throw new TypeError(`saveTensors(${path}): tensor '${name}' must be a Float32Array, Uint8Array or Int32Array`);
    if (name === '' || name === '__proto__') throw new TypeError(`saveTensors(${path}): tensor name '${name}' is not allowed`);
    entries.push({ name, dtype, length: t.length, offset });
    offset = align(offset + t.byteLength);
  }
  const header: Header = { meta, payloadBytes: offset, tensors: entries };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const payloadStart = align(PREFIX + json.length);
  const total = payloadStart + offset + CHECKSUM;
  const out = Buffer.alloc(total); // zero-filled, so padding is deterministic
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, PREFIX);
  for (const e of entries) {
    const t = tensors[e.name]!;
    const dst = out.subarray(payloadStart + e.offset, payloadStart + e.offset + t.byteLength);
    dst.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    if (!LITTLE) swapBytes(dst, ITEM[e.dtype]);
  }
  createHash('sha256').update(out.subarray(0, total - CHECKSUM)).digest().copy(out, total - CHECKSUM);
  writeFileAtomic(path, out);
}

/** Loads a tensor file, validating everything; any problem is a UserError naming the file. */
export function loadTensors(path: string): TensorFile {
  const fail = (problem: string): never => {
    throw new UserError(`${path}: ${problem}; the tensor file is damaged — run 'winnow runs repair' on its run (it marks the job to recompute), or restore it from a backup`);
  };
  let buf: Buffer;
  try {
    if (!statSync(path).isFile()) throw new UserError(`${path}: not a regular file; expected a winnow tensor file (.wt)`);
    buf = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read tensor file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail(buf.length < MAGIC.length ? `truncated (${buf.length} bytes, shorter than the file signature)` : 'bad magic (not a winnow tensor file)');
  }
  if (buf.length < PREFIX) fail(`truncated (${buf.length} bytes, shorter than the ${PREFIX}-byte prefix)`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) fail(`unsupported format version ${version} (this winnow reads version ${VERSION})`);
  const headerLen = buf.readUInt32LE(12);
  if (PREFIX + headerLen + CHECKSUM > buf.length) fail(`truncated (${buf.length} bytes, but the header alone needs ${PREFIX + headerLen + CHECKSUM})`);
  const payloadStart = align(PREFIX + headerLen);

  // Parse before checking the checksum only to report truncation precisely; nothing is trusted yet.
  let raw: unknown = undefined;
  try {
    raw = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLen));
  } catch { /* reported below as a checksum mismatch or a bad header */ }
  const declared = (raw as { payloadBytes?: unknown } | undefined)?.payloadBytes;
  if (typeof declared === 'number' && Number.isSafeInteger(declared) && declared >= 0) {
    const expected = payloadStart + declared + CHECKSUM;
    if (buf.length < expected) fail(`truncated (${buf.length} bytes, header says ${expected})`);
    if (buf.length > expected) fail(`${buf.length - expected} unexpected trailing bytes (header says ${expected} bytes)`);
  }

  const body = buf.subarray(0, buf.length - CHECKSUM);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - CHECKSUM))) fail('checksum mismatch (contents changed or partially written)');
  if (raw === undefined) fail('header is not valid JSON');
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) fail(`bad header (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
  const header = parsed.data!;
  if (payloadStart + header.payloadBytes + CHECKSUM !== buf.length) fail(`header says ${payloadStart + header.payloadBytes + CHECKSUM} bytes but the file has ${buf.length}`);

  const tensors: Record<string, Tensor> = {};
  let end = 0; // tensors are stored in order without overlap
  for (const e of header.tensors) {
    if (e.name === '__proto__') fail(`tensor name '__proto__' is not allowed`);
    if (Object.hasOwn(tensors, e.name)) fail(`tensor '${e.name}' appears twice in the header`);
    const bytes = e.length * ITEM[e.dtype];
    if (e.offset % ALIGN !== 0 || e.offset < end) fail(`tensor '${e.name}' has offset ${e.offset}, expected an 8-byte-aligned offset ≥ ${end}`);
    if (e.offset + bytes > header.payloadBytes) fail(`tensor '${e.name}' (${e.length} × ${e.dtype}) ends at ${e.offset + bytes}, past the ${header.payloadBytes}-byte payload`);
    end = e.offset + bytes;
    // Copy into a fresh buffer: the read buffer may be unaligned for 4-byte views.
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(payloadStart + e.offset, payloadStart + e.offset + bytes));
    if (!LITTLE) swapBytes(copy, ITEM[e.dtype]);
    tensors[e.name] = e.dtype === 'f32' ? new Float32Array(copy.buffer) : e.dtype === 'i32' ? new Int32Array(copy.buffer) : copy;
  }
  return { tensors, meta: header.meta };
}
