// The table of named number formats (docs/FORMATS.md §4–§10). Each row quantizes a VALUE LIST:
// (Long on purpose: one row per format, the table is the module.)
// for a dense tensor the list is every element in row-major order; for a sparse encoding it is the
// encoding's stored values (nonzeros, plus filler zeros or 2:4 padding slots), in storage order.
//
// Block rule for sparse tensors: blocks (MX 32, NVFP4 16, INT group 128) run over the value list
// in order, crossing row boundaries; the last block may be partial and still carries a full scale.
// For a dense tensor whose row length is a multiple of the block size this is exactly "G contiguous
// elements along the reduction dimension". Per-channel formats (int*-channel, binary) take one
// scale per ROW of the tensor, computed from that row's stored values (rowPtr says which are which);
// an empty row still stores its scale. Per-tensor scales (fp8, nvfp4's s_g, ternary γ) come from the
// whole value list: for a sparse tensor, from its nonzeros only.
// Zeros stay exactly zero in every format except binary, which has no zero code (sign × α).
// Non-finite inputs: scales are computed over finite values only; MX blocks holding NaN/Inf get the
// NaN scale (microxcaling propagates); ints map NaN to the zero point and clamp ±Inf.
//
// Byte layout of a QuantizedTensor: `codes` = codeBits per value, LSB-first bit stream (bitpack.ts);
// `scales` = the format's scale section (little-endian), described in `layout`.
import { UserError } from '../util/errors.js';
import { packBits, packedBytes, unpackBits } from './bitpack.js';
import {
  E2M1, E2M3, E3M2, E4M3, E5M2, FP16, type MinifloatSpec,
  decodeE8M0, decodeMinifloat, encodeMinifloat, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, bf16BitsToF32,
  float32Bits, float32FromBits, ilog2, pow2, rne,
} from './minifloat.js';

export const FORMAT_NAMES = [
  'fp32', 'fp16', 'bf16',
  'fp8-e4m3', 'fp8-e4m3-sat', 'fp8-e5m2', 'fp8-e5m2-sat',
  'mxfp8-e4m3', 'mxfp8-e5m2', 'mxfp6-e2m3', 'mxfp6-e3m2', 'mxfp4', 'nvfp4',
  'int8-channel', 'int8-channel-asym', 'int8-group', 'int8-group-asym',
  'int4-channel', 'int4-channel-asym', 'int4-group', 'int4-group-asym',
  'ternary', 'binary',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface QuantizedTensor {
  readonly format: FormatName;
  /** [rows, cols] of the tensor the value list belongs to. */
  readonly shape: readonly [number, number];
  /** Number of values in the list. */
  readonly count: number;
  /** Packed codes, `codeBits` each, LSB-first. */
  readonly codes: Uint8Array;
  /** Scale section (layout per format). */
  readonly scales: Uint8Array;
  /** Row r's values are [rowPtr[r], rowPtr[r+1]); absent = dense rows of shape[1] values. */
  readonly rowPtr?: Uint32Array;
}

export interface NumberFormat {
  readonly name: FormatName;
  readonly description: string;
  /** Bits per stored code. */
  readonly codeBits: number;
  /** Human-readable block and scale layout. */
  readonly layout: string;
  /** docs/FORMATS.md §10 bits per weight for a [4096, 4096] tensor (asserted at module load). */
  readonly nominalBpw: number;
  /** False only for binary: it cannot store the zero fillers some encodings need. */
  readonly hasZero: boolean;
  codeBytes(count: number): number;
  scaleBytes(count: number, rows: number): number;
  /** Exact bytes of codes + scales for `count` values of a tensor with `rows` rows. */
  bytes(count: number, rows: number): number;
  /** Exact bits per stored value, scales included. */
  bitsPerWeight(count: number, rows: number): number;
  /**
   * `grid` (integer formats only) fixes every segment's scale (and zero point) instead of deriving them
   * from the values: GPTQ chooses its grid first and must find exactly that grid in the file.
   */
  quantize(values: Float32Array, shape: readonly [number, number], rowPtr?: Uint32Array, grid?: IntGridValues): QuantizedTensor;
  dequantize(q: QuantizedTensor): Float32Array;
  /** Null when every code is valid, else a description of the first invalid one. */
  checkCodes(q: QuantizedTensor): string | null;
}

// ---- helpers ----
function writeF32(out: Uint8Array, off: number, v: number): void {
  const u = float32Bits(v);
  out[off] = u & 0xff; out[off + 1] = (u >>> 8) & 0xff; out[off + 2] = (u >>> 16) & 0xff; out[off + 3] = u >>> 24;
}
function readF32(b: Uint8Array, off: number): number {
  return float32FromBits(b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24));
}

/** Resolves the row split of a value list (validated). */
export function resolveRowPtr(count: number, shape: readonly [number, number], rowPtr?: Uint32Array): Uint32Array {
  const [rows, cols] = shape;
  if (rowPtr) {
    if (rowPtr.length !== rows + 1 || rowPtr[0] !== 0 || rowPtr[rows] !== count) {
      throw new Error(`rowPtr must have ${rows + 1} entries from 0 to ${count}`);
    }
    return rowPtr;
  }
  if (count !== rows * cols) throw new Error(`value list of ${count} needs a rowPtr (dense would be ${rows * cols})`);
  const rp = new Uint32Array(rows + 1);
  for (let r = 0; r <= rows; r++) rp[r] = r * cols;
  return rp;
}

function maxAbsFinite(v: Float32Array, start = 0, end = v.length): number {
  let m = 0;
  for (let i = start; i < end; i++) { const a = Math.abs(v[i]!); if (a > m && a !== Infinity) m = a; }
  return m;
}

/** Per-segment parameters of an integer format (segment = row for *-channel, group of INT_GROUP values for *-group). */
export interface IntGridValues {
  /** scales, already representable in the stored precision (see IntGrid.roundScale) */
  scale: ArrayLike<number>;
  /** zero points of asymmetric formats */
  zero?: ArrayLike<number>;
}

interface Row {
  name: FormatName; description: string; codeBits: number; layout: string; nominalBpw: number; hasZero?: boolean;
  scaleBytes(count: number, rows: number): number;
  /** Returns unsigned codes (< 2^codeBits) and the filled scale section. */
  quant(values: Float32Array, rowPtr: Uint32Array, scales: Uint8Array, grid?: IntGridValues): ArrayLike<number>;
  dequant(codes: Uint32Array, scales: Uint8Array, rowPtr: Uint32Array, out: Float32Array): void;
  checkCodes?(codes: Uint32Array): string | null;
}

function makeFormat(row: Row): NumberFormat {
  const codeBytes = (count: number) => packedBytes(count, row.codeBits);
  const fmt: NumberFormat = {
    name: row.name, description: row.description, codeBits: row.codeBits, layout: row.layout,
    nominalBpw: row.nominalBpw, hasZero: row.hasZero ?? true,
    codeBytes, scaleBytes: row.scaleBytes,
    bytes: (count, rows) => codeBytes(count) + row.scaleBytes(count, rows),
    bitsPerWeight: (count, rows) => (8 * (codeBytes(count) + row.scaleBytes(count, rows))) / count,
    quantize(values, shape, rowPtr, grid) {
      const rp = resolveRowPtr(values.length, shape, rowPtr);
      const scales = new Uint8Array(row.scaleBytes(values.length, shape[0]));
      if (grid && !INT_GRIDS.has(row.name)) throw new Error(`quantize: ${row.name} takes no fixed grid (integer formats only)`);
      const codes = packBits(row.quant(values, rp, scales, grid), row.codeBits, values.length);
      return { format: row.name, shape: [shape[0], shape[1]], count: values.length, codes, scales, ...(rowPtr ? { rowPtr } : {}) };
    },
    dequantize(q) {
      checkSizes(fmt, q);
      const rp = resolveRowPtr(q.count, q.shape, q.rowPtr);
      const out = new Float32Array(q.count);
      row.dequant(unpackBits(q.codes, row.codeBits, q.count), q.scales, rp, out);
      return out;
    },
    checkCodes(q) {
      checkSizes(fmt, q);
      return row.checkCodes ? row.checkCodes(unpackBits(q.codes, row.codeBits, q.count)) : null;
    },
  };
  return fmt;
}

function checkSizes(fmt: NumberFormat, q: QuantizedTensor): void {
  if (q.format !== fmt.name) throw new Error(`dequantize: tensor is ${q.format}, not ${fmt.name}`);
  if (q.codes.length !== fmt.codeBytes(q.count) || q.scales.length !== fmt.scaleBytes(q.count, q.shape[0])) {
    throw new UserError(`${fmt.name}: ${q.count} values need ${fmt.codeBytes(q.count)} code bytes and `
      + `${fmt.scaleBytes(q.count, q.shape[0])} scale bytes, found ${q.codes.length} and ${q.scales.length}`);
  }
}

// ---- plain casts: FP32 (32 bpw), FP16 (16), BF16 (16) ----
const fp32Row: Row = {
  name: 'fp32', description: 'IEEE binary32', codeBits: 32, layout: 'raw float32, little-endian', nominalBpw: 32,
  scaleBytes: () => 0,
  quant: (v) => { const c = new Uint32Array(v.length); for (let i = 0; i < v.length; i++) c[i] = float32Bits(v[i]!); return c; },
  dequant: (c, _s, _r, out) => { for (let i = 0; i < c.length; i++) out[i] = float32FromBits(c[i]!); },
};
const fp16Row: Row = {
  name: 'fp16', description: 'IEEE binary16, RNE, overflow → Inf', codeBits: 16, layout: 'raw fp16, little-endian', nominalBpw: 16,
  scaleBytes: () => 0,
  quant: (v) => { const c = new Uint16Array(v.length); for (let i = 0; i < v.length; i++) c[i] = f32ToF16Bits(v[i]!); return c; },
  dequant: (c, _s, _r, out) => { for (let i = 0; i < c.length; i++) out[i] = f16BitsToF32(c[i]!); },
};
const bf16Row: Row = {
  name: 'bf16', description: 'bfloat16 (upper half of float32), RNE', codeBits: 16, layout: 'raw bf16, little-endian', nominalBpw: 16,
  scaleBytes: () => 0,
  quant: (v) => { const c = new Uint16Array(v.length); for (let i = 0; i < v.length; i++) c[i] = f32ToBf16Bits(v[i]!); return c; },
  dequant: (c, _s, _r, out) => { for (let i = 0; i < c.length; i++) out[i] = bf16BitsToF32(c[i]!); },
};

// ---- FP8 with one fp32 scale per tensor (≈ 8.0 bpw): s = amax/max so the tensor spans the range;
// `saturate` then matters for non-finite inputs (±Inf → ±max or Inf/NaN). ----
function fp8Row(name: FormatName, spec: MinifloatSpec, saturate: boolean): Row {
  return {
    name, description: `${spec.name.toUpperCase()} ${saturate ? 'saturating' : 'non-saturating'}, fp32 scale per tensor`,
    codeBits: 8, layout: '8-bit codes; scales = fp32 s (amax / max finite)', nominalBpw: 8.0,
    scaleBytes: () => 4,
    quant(v, _rp, scales) {
      let s = Math.fround(maxAbsFinite(v) / spec.maxFinite);
      if (s === 0) s = maxAbsFinite(v) === 0 ? 1 : pow2(-149);
      writeF32(scales, 0, s);
      const c = new Uint8Array(v.length);
      for (let i = 0; i < v.length; i++) c[i] = encodeMinifloat(spec, v[i]! / s, saturate);
      return c;
    },
    dequant(c, scales, _rp, out) {
      const s = readF32(scales, 0);
      for (let i = 0; i < c.length; i++) out[i] = decodeMinifloat(spec, c[i]!) * s;
    },
  };
}

// ---- OCP MX: blocks of 32 share an E8M0 scale X = 2^(floor(log2 amax) − emax_elem), clamped to
// [−127, 127]; elements = RNE(V/X) with normals saturated. bpw = bits + 8/32. ----
export const MX_BLOCK = 32;
export function mxSharedExponent(amax: number, elem: MinifloatSpec): number {
  if (amax === 0) return -127;
  return Math.max(-127, ilog2(amax) - ilog2(elem.maxFinite)); // > 127 impossible for finite float32 input
}
function mxRow(name: FormatName, elem: MinifloatSpec, nominal: number): Row {
  return {
    name, description: `OCP MX, ${elem.name.toUpperCase()} elements, E8M0 scale per ${MX_BLOCK}`,
    codeBits: elem.bits, layout: `${elem.bits}-bit codes; scales = 1 E8M0 byte per block of ${MX_BLOCK} values (last block may be partial)`,
    nominalBpw: nominal,
    scaleBytes: (count) => Math.ceil(count / MX_BLOCK),
    quant(v, _rp, scales) {
      const c = new Uint8Array(v.length);
      for (let b = 0, start = 0; start < v.length; b++, start += MX_BLOCK) {
        const end = Math.min(v.length, start + MX_BLOCK);
        let amax = 0, finite = true;
        for (let i = start; i < end; i++) { const a = Math.abs(v[i]!); if (!(a <= 3.5e38)) finite = false; else if (a > amax) amax = a; }
        if (!finite) { scales[b] = 0xff; continue; } // NaN scale: the block decodes to NaN
        const se = mxSharedExponent(amax, elem);
        scales[b] = se + 127;
        const x = pow2(se);
        for (let i = start; i < end; i++) c[i] = encodeMinifloat(elem, v[i]! / x, true);
      }
      return c;
    },
    dequant(c, scales, _rp, out) {
      for (let i = 0; i < c.length; i++) out[i] = decodeE8M0(scales[Math.floor(i / MX_BLOCK)]!) * decodeMinifloat(elem, c[i]!);
    },
  };
}

// ---- NVFP4: E2M1 elements, UE4M3 scale per 16, fp32 scale per tensor (torchao recipe, fp32 math).
// bpw = (16·4 + 8)/16 = 4.5, + 32 bits per tensor. ----
export const NVFP4_BLOCK = 16;
const E4M3_TINY = pow2(-6);
export function nvfp4TensorScale(amax: number): number {
  if (amax === 0) return 1;
  const s = Math.fround(amax / (448 * 6));
  return s === 0 ? pow2(-149) : s;
}
const nvfp4Row: Row = {
  name: 'nvfp4', description: 'NVIDIA NVFP4: E2M1, UE4M3 scale per 16, fp32 per-tensor scale', codeBits: 4,
  layout: `4-bit codes (low nibble first); scales = 1 UE4M3 byte per block of ${NVFP4_BLOCK}, then fp32 s_g`,
  nominalBpw: 4.5,
  scaleBytes: (count) => Math.ceil(count / NVFP4_BLOCK) + 4,
  quant(v, _rp, scales) {
    const nb = Math.ceil(v.length / NVFP4_BLOCK);
    const sg = nvfp4TensorScale(maxAbsFinite(v));
    writeF32(scales, nb, sg);
    const c = new Uint8Array(v.length);
    for (let b = 0; b < nb; b++) {
      const start = b * NVFP4_BLOCK, end = Math.min(v.length, start + NVFP4_BLOCK);
      const sb = Math.fround(maxAbsFinite(v, start, end) / 6);
      const ratio = Math.min(448, Math.max(E4M3_TINY, Math.fround(sb / sg)));
      const code = encodeMinifloat(E4M3, ratio, true);
      scales[b] = code;
      const denom = Math.fround(sg * decodeMinifloat(E4M3, code));
      for (let i = start; i < end; i++) {
        const y = Math.min(6, Math.max(-6, Math.fround(v[i]! / denom)));
        c[i] = encodeMinifloat(E2M1, y, true);
      }
    }
    return c;
  },
  dequant(c, scales, _rp, out) {
    const nb = Math.ceil(c.length / NVFP4_BLOCK);
    const sg = readF32(scales, nb);
    for (let i = 0; i < c.length; i++) {
      out[i] = decodeMinifloat(E2M1, c[i]!) * decodeMinifloat(E4M3, scales[Math.floor(i / NVFP4_BLOCK)]! & 0x7f) * sg;
    }
  },
};

// ---- Integers (§8): RNE, symmetric q ∈ [−qmax, qmax] two's complement, or asymmetric
// q ∈ [0, 2^b − 1] with zero point z (min ≤ 0 ≤ max, so 0 is exact). ----
export const INT_GROUP = 128;
type ScaleKind = 'fp32' | 'fp16';
function fp16ScaleCode(s: number): number {
  const code = encodeMinifloat(FP16, s, true);
  return code === 0 && s > 0 ? 1 : code; // never let a nonzero scale underflow to 0
}
function storeScale(kind: ScaleKind, s: number, scales: Uint8Array, i: number): number {
  if (kind === 'fp32') { writeF32(scales, 4 * i, s); return Math.fround(s); }
  const code = fp16ScaleCode(s);
  scales[2 * i] = code & 0xff; scales[2 * i + 1] = code >>> 8;
  return decodeMinifloat(FP16, code);
}

/** What a GPTQ-style quantizer needs to round onto an integer format's grid exactly as the format stores it. */
export interface IntGrid {
  format: FormatName;
  bits: number;
  per: 'channel' | 'group';
  asym: boolean;
  /** symmetric codes span [−qmax, qmax]; asymmetric [0, umax] */
  qmax: number;
  umax: number;
  /** values per group (per = 'group') */
  group: number;
  /** the scale as it reads back from the file (fp32 per channel, fp16 per group) */
  roundScale(s: number): number;
}
const INT_GRIDS = new Map<FormatName, IntGrid>();
/** The integer grid of a format, or null for non-integer formats. */
export function intGrid(name: FormatName): IntGrid | null { return INT_GRIDS.get(name) ?? null; }
function loadScale(kind: ScaleKind, scales: Uint8Array, i: number): number {
  return kind === 'fp32' ? readF32(scales, 4 * i) : f16BitsToF32(scales[2 * i]! | (scales[2 * i + 1]! << 8));
}

function intRow(bits: 8 | 4, per: 'channel' | 'group', asym: boolean, nominal: number): Row {
  const name = `int${bits}-${per}${asym ? '-asym' : ''}` as FormatName;
  const kind: ScaleKind = per === 'channel' ? 'fp32' : 'fp16';
  const sb = kind === 'fp32' ? 4 : 2;
  const qmax = 2 ** (bits - 1) - 1, umax = 2 ** bits - 1, mod = 2 ** bits;
  const nScales = (count: number, rows: number) => (per === 'channel' ? rows : Math.ceil(count / INT_GROUP));
  const scaleBytes = (count: number, rows: number) => {
    const n = nScales(count, rows);
    return n * sb + (asym ? packedBytes(n, bits) : 0);
  };
  // Segment k of the value list: a row (channel) or a group of INT_GROUP.
  const segment = (k: number, rp: Uint32Array, count: number): [number, number] =>
    per === 'channel' ? [rp[k]!, rp[k + 1]!] : [k * INT_GROUP, Math.min(count, (k + 1) * INT_GROUP)];
  INT_GRIDS.set(name, {
    format: name, bits, per, asym, qmax, umax, group: INT_GROUP,
    roundScale: (s) => (kind === 'fp32' ? Math.fround(s) : decodeMinifloat(FP16, fp16ScaleCode(s))),
  });
  return {
    name, description: `INT${bits} ${asym ? 'asymmetric' : 'symmetric'}, ${kind} scale per ${per === 'channel' ? 'row' : `group of ${INT_GROUP}`}`,
    codeBits: bits,
    layout: `${bits}-bit codes (${asym ? 'unsigned' : "two's complement"}); scales = ${kind} per ${per === 'channel' ? 'row' : `group of ${INT_GROUP}`}`
      + (asym ? `, then ${bits}-bit zero points packed` : ''),
    nominalBpw: nominal,
    scaleBytes,
    quant(v, rp, scales, grid) {
      const n = nScales(v.length, rp.length - 1);
      if (grid && (grid.scale.length !== n || (asym && grid.zero?.length !== n))) throw new Error(`${name}: a fixed grid needs ${n} scales${asym ? ' and zero points' : ''}`);
      const c = new Uint8Array(v.length);
      const zeros = asym ? new Uint8Array(n) : null;
      for (let k = 0; k < n; k++) {
        const [start, end] = segment(k, rp, v.length);
        if (!asym) {
          const s = storeScale(kind, grid ? grid.scale[k]! : maxAbsFinite(v, start, end) / qmax, scales, k);
          for (let i = start; i < end; i++) {
            const x = v[i]!;
            const q = s === 0 || Number.isNaN(x) ? 0 : Math.min(qmax, Math.max(-qmax, rne(x / s)));
            c[i] = (q + mod) % mod;
          }
        } else {
          let lo = 0, hi = 0;
          for (let i = start; i < end; i++) { const x = v[i]!; if (Number.isFinite(x)) { if (x < lo) lo = x; if (x > hi) hi = x; } }
          const s = storeScale(kind, grid ? grid.scale[k]! : (hi - lo) / umax, scales, k);
          const z = grid ? grid.zero![k]! : s === 0 ? 0 : Math.min(umax, Math.max(0, rne(-lo / s)));
          zeros![k] = z;
          for (let i = start; i < end; i++) {
            const x = v[i]!;
            c[i] = s === 0 || Number.isNaN(x) ? z : Math.min(umax, Math.max(0, rne(x / s) + z));
          }
        }
      }
      if (zeros) scales.set(packBits(zeros, bits), n * sb);
      return c;
    },
    dequant(c, scales, rp, out) {
      const n = nScales(c.length, rp.length - 1);
      const zeros = asym ? unpackBits(scales.subarray(n * sb), bits, n) : null;
      for (let k = 0; k < n; k++) {
        const [start, end] = segment(k, rp, c.length);
        const s = loadScale(kind, scales, k);
        const z = zeros ? zeros[k]! : 0;
        for (let i = start; i < end; i++) {
          const q = asym ? c[i]! - z : (c[i]! > qmax ? c[i]! - mod : c[i]!);
          out[i] = q * s;
        }
      }
    },
  };
}

// ---- Ternary (BitNet b1.58 absmean): γ = max(mean|W|, 1e-5) per tensor (fp32), W̃ = clamp(RNE(W/γ), −1, 1).
// 2-bit codes: 0 → 0, 1 → +1, 3 → −1 (2 is invalid). bpw = 2 + 32/n. ----
const ternaryRow: Row = {
  name: 'ternary', description: 'ternary {−1, 0, +1} × γ (absmean, per tensor)', codeBits: 2,
  layout: "2-bit codes (0, +1, 3 = −1), LSB-first; scales = fp32 γ", nominalBpw: 2.0,
  scaleBytes: () => 4,
  quant(v, _rp, scales) {
    let sum = 0, n = 0;
    for (let i = 0; i < v.length; i++) { const a = Math.abs(v[i]!); if (a !== Infinity && !Number.isNaN(a)) { sum += a; n++; } }
    const g = Math.fround(Math.max(n > 0 ? sum / n : 0, 1e-5));
    writeF32(scales, 0, g);
    const c = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      const t = Number.isNaN(x) ? 0 : Math.min(1, Math.max(-1, rne(x / g)));
      c[i] = t === -1 ? 3 : t === 1 ? 1 : 0;
    }
    return c;
  },
  dequant(c, scales, _rp, out) {
    const g = readF32(scales, 0);
    for (let i = 0; i < c.length; i++) out[i] = c[i] === 1 ? g : c[i] === 3 ? -g : 0;
  },
  checkCodes(c) {
    for (let i = 0; i < c.length; i++) if (c[i] === 2) return `ternary code 2 at value ${i} (valid: 0, 1, 3)`;
    return null;
  },
};

// ---- Binary (XNOR-Net/BWN): α·sign(w), α = mean|w| per row (fp32); bit 1 for w ≥ 0. bpw = 1 + 32/cols. ----
const binaryRow: Row = {
  name: 'binary', description: 'binary ±α, α = mean|w| per row (no zero code)', codeBits: 1, hasZero: false,
  layout: '1-bit signs LSB-first (1 = +α); scales = fp32 α per row', nominalBpw: 1.008,
  scaleBytes: (_count, rows) => 4 * rows,
  quant(v, rp, scales) {
    const c = new Uint8Array(v.length);
    for (let r = 0; r + 1 < rp.length; r++) {
      let sum = 0, n = 0;
      for (let i = rp[r]!; i < rp[r + 1]!; i++) {
        const a = Math.abs(v[i]!); if (a !== Infinity && !Number.isNaN(a)) { sum += a; n++; }
        c[i] = v[i]! < 0 ? 0 : 1;
      }
      writeF32(scales, 4 * r, n > 0 ? sum / n : 0);
    }
    return c;
  },
  dequant(c, scales, rp, out) {
    for (let r = 0; r + 1 < rp.length; r++) {
      const a = readF32(scales, 4 * r);
      for (let i = rp[r]!; i < rp[r + 1]!; i++) out[i] = c[i] ? a : -a;
    }
  },
};

const ROWS: Row[] = [
  fp32Row, fp16Row, bf16Row,
  fp8Row('fp8-e4m3', E4M3, false), fp8Row('fp8-e4m3-sat', E4M3, true),
  fp8Row('fp8-e5m2', E5M2, false), fp8Row('fp8-e5m2-sat', E5M2, true),
  mxRow('mxfp8-e4m3', E4M3, 8.25), mxRow('mxfp8-e5m2', E5M2, 8.25),
  mxRow('mxfp6-e2m3', E2M3, 6.25), mxRow('mxfp6-e3m2', E3M2, 6.25), mxRow('mxfp4', E2M1, 4.25),
  nvfp4Row,
  intRow(8, 'channel', false, 8.008), intRow(8, 'channel', true, 8.010),
  intRow(8, 'group', false, 8.125), intRow(8, 'group', true, 8.1875),
  intRow(4, 'channel', false, 4.008), intRow(4, 'channel', true, 4.009),
  intRow(4, 'group', false, 4.125), intRow(4, 'group', true, 4.156),
  ternaryRow, binaryRow,
];

export const FORMATS: Readonly<Record<FormatName, NumberFormat>> = Object.freeze(
  Object.fromEntries(ROWS.map((r) => [r.name, makeFormat(r)])) as Record<FormatName, NumberFormat>,
);

// Asserted invariant (ggml's static_assert habit): bpw at [4096, 4096] equals the §10 figure.
for (const name of FORMAT_NAMES) {
  const f = FORMATS[name];
  if (!f) throw new Error(`format table lacks ${name}`);
  const bpw = f.bitsPerWeight(4096 * 4096, 4096);
  if (Math.abs(bpw - f.nominalBpw) > 1e-3) throw new Error(`format ${name}: ${bpw} bpw, table says ${f.nominalBpw}`);
}

export function isFormatName(s: unknown): s is FormatName {
  return typeof s === 'string' && (FORMAT_NAMES as readonly string[]).includes(s);
}

export function getFormat(name: string): NumberFormat {
  if (!isFormatName(name)) throw new UserError(`unknown number format '${name}'; expected one of ${FORMAT_NAMES.join(', ')}`);
  return FORMATS[name];
}

/** Quantize then dequantize (the values a model sees after storage in `format`). */
export function roundTrip(format: FormatName, values: Float32Array, shape: readonly [number, number], rowPtr?: Uint32Array): Float32Array {
  const f = FORMATS[format];
  return f.dequantize(f.quantize(values, shape, rowPtr));
}
