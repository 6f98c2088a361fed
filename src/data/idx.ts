// IDX files (the MNIST / Fashion-MNIST container format), read and written.
// Layout: magic [0x00, 0x00, type, ndims], then ndims big-endian uint32 sizes, then the data
// (row-major). winnow only needs unsigned bytes (type 0x08): 1-d label files (magic 0x00000801)
// and 3-d image files (0x00000803, count × rows × cols). Files may be gzipped; the gzip magic
// (1f 8b) decides, not the file name.
//
// Everything here is strict on purpose: a truncated download, a file with trailing bytes or an
// images file passed as labels would otherwise train silently on garbage. Every failure is a
// UserError that names the file, what was expected and what was found.
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { readUserFile } from '../util/read.js';

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

export type IdxKind = 'images' | 'labels';
const DIMS: Record<IdxKind, number> = { images: 3, labels: 1 };

/** A parsed unsigned-byte IDX array. `data` is row-major with `dims` as its shape. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Largest IDX payload accepted (header + data, after decompression): 1 GiB, or $WINNOW_MAX_IDX_BYTES.
 * Full MNIST-style training images are 47 MB. See docs/LIMITS.md.
 */
export function maxIdxBytes(): number {
  const v = process.env['WINNOW_MAX_IDX_BYTES'];
  if (v === undefined || v === '') return 2 ** 30;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`$WINNOW_MAX_IDX_BYTES: expected a positive integer, got '${v}'`);
  return n;
}

/** Deflate cannot expand data by more than ~1032:1; anything beyond that in a header is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** The size in bytes (header + data) an IDX header declares, or null when `head` is too short to tell. */
export function declaredIdxBytes(head: Uint8Array): number | null {
  if (head.length < 4) return null;
  const nd = head[3]!;
  if (head[0] !== 0 || head[1] !== 0 || nd === 0 || nd > 3) return null; // parseIdx reports it
  if (head.length < 4 + 4 * nd) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let n = 1;
  for (let i = 0; i < nd; i++) n *= view.getUint32(4 + 4 * i, false);
  return 4 + 4 * nd + n;
}

function gzipFail(file: string, err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  throw new UserError(`${file}: corrupt gzip data (${msg}); delete the file and fetch it again`);
}

/**
 * Gunzips when the bytes start with the gzip magic; returns them unchanged otherwise. Decompression is
 * capped: the IDX header (read from a small decompressed prefix) fixes the size, which must be within
 * `maxBytes` and within what the compressed size can hold, and inflating stops as soon as the output
 * would exceed it — a gzip bomb costs at most the size its header declares.
 */
export function maybeGunzip(bytes: Uint8Array, file: string, maxBytes = maxIdxBytes()): Uint8Array {
  if (!isGzip(bytes)) {
    if (bytes.length > maxBytes) throw new UserError(`${file}: ${bytes.length} bytes exceeds the IDX size limit of ${maxBytes} bytes ($WINNOW_MAX_IDX_BYTES; docs/LIMITS.md)`);
    return bytes;
  }
  // 1. The header, from a decompressed prefix (a truncated stream is fine here: Z_SYNC_FLUSH).
  let head: Uint8Array = new Uint8Array(0);
  for (const prefix of [4096, 65536]) {
    const part = bytes.subarray(0, Math.min(bytes.length, prefix));
    try {
      head = gunzipSync(part, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: part.length * MAX_DEFLATE_RATIO + 1024 });
    } catch (err) {
      gzipFail(file, err);
    }
    if (declaredIdxBytes(head) !== null || part.length === bytes.length) break;
  }
  const declared = declaredIdxBytes(head);
  // Without a readable header the output is small or garbage: cap at what the prefix already showed.
  const cap = declared ?? Math.min(maxBytes, head.length + 65536);
  if (cap > maxBytes) {
    throw new UserError(`${file}: the IDX header declares ${cap} bytes, more than the limit of ${maxBytes} ($WINNOW_MAX_IDX_BYTES; docs/LIMITS.md)`);
  }
  if (cap > bytes.length * MAX_DEFLATE_RATIO + 65536) {
    throw new UserError(`${file}: truncated: the IDX header declares ${cap} bytes, but ${bytes.length} compressed bytes cannot hold that many; delete the file and fetch it again`);
  }
  // 2. The whole stream, stopping one byte past the declared size (parseIdx then reports trailing bytes).
  try {
    return gunzipSync(bytes, { maxOutputLength: cap + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new UserError(`${file}: trailing bytes: the gzip data decompresses to more than the ${cap} bytes its IDX header declares (a damaged file or a gzip bomb); delete the file and fetch it again`);
    }
    gzipFail(file, err);
  }
}

/**
 * Parses (already gunzipped) IDX bytes. `kind` fixes the magic: labels = 0x00000801,
 * images = 0x00000803. With `maxLabel`, every value must be < maxLabel.
 */
export function parseIdx(bytes: Uint8Array, file: string, kind: IdxKind, opts: { maxLabel?: number } = {}): IdxArray {
  const ndims = DIMS[kind];
  const expectedMagic = (UBYTE << 8) | ndims;
  if (bytes.length < 4) {
    throw new UserError(`${file}: not an IDX file: expected a 4-byte magic number ${hex32(expectedMagic)}, found only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2]!, foundDims = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${file}: not an IDX file: expected magic number ${hex32(expectedMagic)} (${kind}), found ${hex32(magic)}`);
  }
  if (type !== UBYTE) {
    const name = TYPE_NAMES[type] ?? 'unknown type';
    throw new UserError(`${file}: wrong magic number: expected ${hex32(expectedMagic)} (unsigned-byte ${kind}), found ${hex32(magic)} (${name} data)`);
  }
  if (foundDims !== ndims) {
    const guess = foundDims === 1 ? ' (a labels file?)' : foundDims === 3 ? ' (an images file?)' : '';
    throw new UserError(`${file}: wrong dimension count: expected ${ndims} for ${kind} (magic ${hex32(expectedMagic)}), found ${foundDims} (magic ${hex32(magic)})${guess}`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new UserError(`${file}: truncated header: expected ${headerBytes} bytes for ${ndims} dimension sizes, found ${bytes.length}`);
  }
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    expected *= d;
  }
  const found = bytes.length - headerBytes;
  if (found !== expected) {
    const what = found < expected ? 'truncated' : 'trailing bytes';
    throw new UserError(`${file}: ${what}: header says ${dims.join('×')} = ${expected} bytes of data, found ${found}`);
  }
  // A plain Uint8Array view (not a Buffer), so callers and tests see one type whatever the source.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, found);
  if (opts.maxLabel !== undefined) {
    const max = opts.maxLabel;
    for (let i = 0; i < data.length; i++) {
      if (data[i]! >= max) throw new UserError(`${file}: label ${data[i]} at index ${i} is out of range: expected values < ${max}`);
    }
  }
  return { dims, data };
}

/** Reads an IDX file (gzipped or raw) from disk. */
export function readIdx(path: string, kind: IdxKind, opts: { maxLabel?: number } = {}): IdxArray {
  const max = maxIdxBytes();
  return parseIdx(maybeGunzip(readUserFile(path, path, { maxBytes: max }), path, max), path, kind, opts);
}

/** Encodes an unsigned-byte IDX array (1-d labels or 3-d images); gzipped when asked. */
export function encodeIdx(dims: readonly number[], data: Uint8Array, opts: { gzip?: boolean; level?: number } = {}): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) throw new Error(`encodeIdx: dims ${dims.join('×')} = ${expected} but data has ${data.length} bytes`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  if (!opts.gzip) return out;
  const gz = gzipSync(out, { level: opts.level ?? 9 });
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.length);
}
