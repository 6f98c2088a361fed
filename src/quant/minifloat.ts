// Binary minifloats as data rows (docs/FORMATS.md §1–§5) driving ONE generic encoder/decoder.
// Encoding works in float64 on the exact input: e = floor(log2 |x|) read from the exponent field,
// quantum q = 2^(max(e, emin) − M), r = RNE(|x|/q)·q (a/q is exact: q is a power of two), and
// overflow is decided on the ROUNDED r (ONNX rule), so E4M3 464 ties down to 448 and E5M2 61440
// ties up to overflow. `saturate` is always an explicit argument (library defaults differ, §5).
// Fast paths for FP16/BF16 on float32 bit patterns live at the bottom and are tested against it.

export type Specials = 'ieee' | 'fn' | 'fnuz' | 'none';

export interface MinifloatSpec {
  readonly name: string;
  readonly expBits: number;
  readonly manBits: number;
  readonly bias: number;
  readonly specials: Specials;
  /** Code emitted for NaN input (positive). 'none' formats have no NaN: NaN → +max (ONNX E2M1 rule). */
  readonly nanCode: number;
  // Derived (filled by defineMinifloat):
  readonly bits: number;
  readonly maxCode: number;
  readonly maxFinite: number;
  readonly minNormal: number;
  readonly emin: number;
}

// ---- exact powers of two and floor(log2) on float64 ----
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[1] holds sign/exponent
const POW2_OFFSET = 1100;
const POW2 = new Float64Array(2 * POW2_OFFSET + 1);
for (let e = -POW2_OFFSET; e <= POW2_OFFSET; e++) {
  let v: number;
  if (e > 1023) v = Infinity;
  else if (e >= -1022) { u32[0] = 0; u32[1] = (e + 1023) << 20; v = f64[0]!; }
  else if (e >= -1074) {
    // Subnormal double: mantissa bit (e + 1074) set, exponent field 0.
    const bit = e + 1074;
    u32[0] = bit < 32 ? (1 << bit) >>> 0 : 0; u32[1] = bit >= 32 ? 1 << (bit - 32) : 0; v = f64[0]!;
  } else v = 0;
  POW2[e + POW2_OFFSET] = v;
}

/** Exact 2^e as a double (e integer; 0 below 2^-1074, Infinity above 2^1023). */
export function pow2(e: number): number {
  if (e < -POW2_OFFSET) return 0;
  if (e > POW2_OFFSET) return Infinity;
  return POW2[e + POW2_OFFSET]!;
}

/** Exact floor(log2 a) for finite a > 0, read from the float64 exponent field. */
export function ilog2(a: number): number {
  f64[0] = a;
  const ex = (u32[1]! >>> 20) & 0x7ff;
  if (ex !== 0) return ex - 1023;
  // Subnormal double: scale up by 2^64 (exact) and correct.
  f64[0] = a * 18446744073709551616;
  return ((u32[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

/** Round a non-negative double to the nearest integer, ties to even. */
export function rneNonNeg(n: number): number {
  const fl = Math.floor(n);
  const d = n - fl; // exact for the magnitudes used here
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** Round to the nearest integer, ties to even (PyTorch nearbyint / ONNX QuantizeLinear). */
export function rne(x: number): number {
  return x < 0 ? -rneNonNeg(-x) : rneNonNeg(x);
}

export function defineMinifloat(row: {
  name: string; expBits: number; manBits: number; bias: number; specials: Specials; nanCode?: number;
}): MinifloatSpec {
  const E = row.expBits, M = row.manBits;
  const eAll = (1 << E) - 1, mAll = (1 << M) - 1;
  let maxCode: number;
  switch (row.specials) {
    case 'ieee': maxCode = ((eAll - 1) << M) | mAll; break; // top binade is Inf/NaN
    case 'fn': maxCode = (eAll << M) | (mAll - 1); break; // only S.1111.111 is NaN
    case 'fnuz': case 'none': maxCode = (eAll << M) | mAll; break;
  }
  const partial = { ...row, bits: 1 + E + M, emin: 1 - row.bias, maxCode, maxFinite: 0, minNormal: pow2(1 - row.bias),
    nanCode: row.nanCode ?? (row.specials === 'none' ? maxCode : (row.specials === 'fnuz' ? 1 << (E + M) : (eAll << M) | mAll)) };
  partial.maxFinite = decodeMinifloat(partial, maxCode);
  return Object.freeze(partial);
}

/** Decodes a code to its exact value (a double; every value here is exactly representable). */
export function decodeMinifloat(f: Pick<MinifloatSpec, 'expBits' | 'manBits' | 'bias' | 'specials'>, code: number): number {
  const E = f.expBits, M = f.manBits;
  const signBit = Math.floor(code / 2 ** (E + M)) & 1; // arithmetic, so 32-bit rows stay unsigned
  const e = Math.floor(code / 2 ** M) % 2 ** E;
  const m = code % 2 ** M;
  const eAll = 2 ** E - 1, mAll = 2 ** M - 1;
  if (f.specials === 'fnuz' && signBit === 1 && e === 0 && m === 0) return NaN;
  if (f.specials === 'ieee' && e === eAll) return m === 0 ? (signBit ? -Infinity : Infinity) : NaN;
  if (f.specials === 'fn' && e === eAll && m === mAll) return NaN;
  const mag = e === 0 ? m * pow2(1 - f.bias - M) : (1 + m / 2 ** M) * pow2(e - f.bias);
  return signBit ? -mag : mag;
}

/**
 * Encodes x (any double) to the nearest code, ties to even. Out-of-range values after rounding:
 * saturate → ±max; otherwise ±Inf (ieee), NaN (fn, fnuz); 'none' formats always saturate.
 */
export function encodeMinifloat(f: MinifloatSpec, x: number, saturate: boolean): number {
  const M = f.manBits;
  const signVal = 2 ** (f.expBits + M);
  if (Number.isNaN(x)) return f.nanCode;
  const neg = x < 0 || Object.is(x, -0);
  const signPart = neg ? signVal : 0;
  const zeroCode = f.specials === 'fnuz' ? 0 : signPart; // fnuz has no −0 (0x80 is its NaN)
  const a = Math.abs(x);
  if (a === 0) return zeroCode;
  let r: number;
  if (a === Infinity) r = Infinity;
  else {
    const e = Math.max(ilog2(a), f.emin);
    const q = pow2(e - M);
    r = rneNonNeg(a / q) * q;
  }
  if (r > f.maxFinite) {
    if (saturate || f.specials === 'none') return signPart + f.maxCode;
    if (f.specials === 'ieee') return signPart + (2 ** f.expBits - 1) * 2 ** M; // ±Inf
    if (f.specials === 'fn') return signPart + f.nanCode; // S.1111.111
    return f.nanCode; // fnuz: the single NaN 0x80
  }
  if (r === 0) return zeroCode; // rounded to zero keeps the sign
  if (r < f.minNormal) return signPart + r / pow2(f.emin - M); // subnormal: exponent field 0
  const e2 = ilog2(r); // r may have carried into the next binade
  return signPart + (e2 + f.bias) * 2 ** M + (r / pow2(e2) - 1) * 2 ** M;
}

// ---- The rows (docs/FORMATS.md §4, §5) ----
export const FP32 = defineMinifloat({ name: 'fp32', expBits: 8, manBits: 23, bias: 127, specials: 'ieee', nanCode: 0x7fc00000 });
export const FP16 = defineMinifloat({ name: 'fp16', expBits: 5, manBits: 10, bias: 15, specials: 'ieee', nanCode: 0x7e00 });
export const BF16 = defineMinifloat({ name: 'bf16', expBits: 8, manBits: 7, bias: 127, specials: 'ieee', nanCode: 0x7fc0 });
export const E4M3 = defineMinifloat({ name: 'e4m3', expBits: 4, manBits: 3, bias: 7, specials: 'fn', nanCode: 0x7f });
export const E5M2 = defineMinifloat({ name: 'e5m2', expBits: 5, manBits: 2, bias: 15, specials: 'ieee', nanCode: 0x7f });
export const E4M3FNUZ = defineMinifloat({ name: 'e4m3fnuz', expBits: 4, manBits: 3, bias: 8, specials: 'fnuz' });
export const E5M2FNUZ = defineMinifloat({ name: 'e5m2fnuz', expBits: 5, manBits: 2, bias: 16, specials: 'fnuz' });
export const E2M1 = defineMinifloat({ name: 'e2m1', expBits: 2, manBits: 1, bias: 1, specials: 'none' });
export const E2M3 = defineMinifloat({ name: 'e2m3', expBits: 2, manBits: 3, bias: 1, specials: 'none' });
export const E3M2 = defineMinifloat({ name: 'e3m2', expBits: 3, manBits: 2, bias: 3, specials: 'none' });

// Asserted invariants (§5 table): max finite values.
for (const [f, max] of [[E4M3, 448], [E5M2, 57344], [E4M3FNUZ, 240], [E5M2FNUZ, 57344], [E2M1, 6], [E2M3, 7.5], [E3M2, 28],
  [FP16, 65504], [BF16, 3.3895313892515355e38], [FP32, 3.4028234663852886e38]] as const) {
  if (f.maxFinite !== max) throw new Error(`minifloat ${f.name}: max finite ${f.maxFinite}, expected ${max}`);
}

// ---- E8M0 (MX block scale): 2^(e − 127), 0xFF = NaN; no zero, sign or Inf ----
export type E8M0Rounding = 'up' | 'down' | 'nearest';

export function decodeE8M0(code: number): number {
  return code === 0xff ? NaN : pow2(code - 127);
}

/** Positive x → E8M0 code. 'up' (ONNX default, CUDA), 'down', or 'nearest' power of two (linear midpoint 1.5·2^e rounds up). */
export function encodeE8M0(x: number, rounding: E8M0Rounding = 'up'): number {
  if (!(x > 0) || x === Infinity) return 0xff; // NaN, non-positive or Inf have no code
  let e = ilog2(x);
  const exact = pow2(e) === x;
  if (!exact) {
    if (rounding === 'up') e += 1;
    else if (rounding === 'nearest' && x >= 1.5 * pow2(e)) e += 1; // 1.5·2^e is the linear midpoint
  }
  if (e > 127) return 0xff;
  if (e < -127) return 0x00; // clamp to the smallest scale
  return e + 127;
}

// ---- Fast paths on float32 bit patterns ----
const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);

export function float32Bits(x: number): number { f32[0] = x; return f32u[0]!; }
export function float32FromBits(u: number): number { f32u[0] = u >>> 0; return f32[0]!; }

/** BF16 with RNE: (u + 0x7FFF + ((u >> 16) & 1)) >> 16; NaN → 0x7FC0 (ONNX). */
export function f32ToBf16Bits(x: number): number {
  const u = float32Bits(x);
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return 0x7fc0;
  return Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 65536);
}
export function bf16BitsToF32(code: number): number { return float32FromBits((code & 0xffff) << 16); }

/** FP16 with RNE from a float32 value (non-saturating: overflow → ±Inf; NaN → 0x7E00). */
export function f32ToF16Bits(x: number): number {
  const u = float32Bits(x);
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const man = u & 0x7fffff;
  if (exp === 0xff) return man !== 0 ? 0x7e00 : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below 2^-25: rounds to zero (2^-25 itself ties to even 0)
    const full = man | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // carry into exponent gives Inf correctly
  return sign | half;
}

// Table decode (Node 20 has no Float16Array).
const F16_TABLE = new Float32Array(65536);
for (let c = 0; c < 65536; c++) F16_TABLE[c] = decodeMinifloat(FP16, c);
export function f16BitsToF32(code: number): number { return F16_TABLE[code & 0xffff]!; }
