// Bit-exact minifloat tests: every code of E4M3, E5M2, E2M1, E2M3, E3M2 (and E8M0) against spec
// values computed here from the §1 formula, the §11 vectors verbatim, every midpoint against a
// brute-force nearest-code oracle, overflow thresholds under both saturation flags, all 2^16
// FP16/BF16 codes, and BF16 against the RNE bit trick on 10^6 random floats plus constructed ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BF16, E2M1, E2M3, E3M2, E4M3, E4M3FNUZ, E5M2, E5M2FNUZ, FP16, type MinifloatSpec,
  decodeE8M0, decodeMinifloat, encodeE8M0, encodeMinifloat, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, bf16BitsToF32,
} from '../../src/quant/minifloat.js';
import { Rng } from '../../src/util/rng.js';

// ---- independent spec: (−1)^s · m · 2^(1−B−M) or (−1)^s · (1 + m/2^M) · 2^(e−B), specials per §1/§5 ----
interface Spec { E: number; M: number; B: number; specials: 'ieee' | 'fn' | 'fnuz' | 'none' }
const SPECS: Record<string, [MinifloatSpec, Spec]> = {
  e4m3: [E4M3, { E: 4, M: 3, B: 7, specials: 'fn' }],
  e5m2: [E5M2, { E: 5, M: 2, B: 15, specials: 'ieee' }],
  e2m1: [E2M1, { E: 2, M: 1, B: 1, specials: 'none' }],
  e2m3: [E2M3, { E: 2, M: 3, B: 1, specials: 'none' }],
  e3m2: [E3M2, { E: 3, M: 2, B: 3, specials: 'none' }],
  e4m3fnuz: [E4M3FNUZ, { E: 4, M: 3, B: 8, specials: 'fnuz' }],
  e5m2fnuz: [E5M2FNUZ, { E: 5, M: 2, B: 16, specials: 'fnuz' }],
};
function specValue(s: Spec, code: number): number {
  const sign = (code >> (s.E + s.M)) & 1, e = (code >> s.M) & ((1 << s.E) - 1), m = code & ((1 << s.M) - 1);
  const eMax = (1 << s.E) - 1, mMax = (1 << s.M) - 1;
  if (s.specials === 'ieee' && e === eMax) return m === 0 ? (sign ? -Infinity : Infinity) : NaN;
  if (s.specials === 'fn' && e === eMax && m === mMax) return NaN;
  if (s.specials === 'fnuz' && code === 1 << (s.E + s.M)) return NaN;
  const mag = e === 0 ? m * Math.pow(2, 1 - s.B - s.M) : (1 + m / Math.pow(2, s.M)) * Math.pow(2, e - s.B);
  return sign ? -mag : mag;
}

// ---- brute-force oracle: nearest finite code, even code wins ties, a virtual code above max models overflow ----
function oracle(f: MinifloatSpec, x: number, saturate: boolean): number {
  const n = 1 << f.bits, signBit = n >> 1;
  if (Number.isNaN(x)) return f.nanCode;
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const cands: Array<[number, number]> = [];
  for (let c = 0; c < signBit; c++) { const v = decodeMinifloat(f, c); if (Number.isFinite(v)) cands.push([c, v]); }
  const maxV = f.maxFinite;
  const ulpAtMax = maxV - decodeMinifloat(f, f.maxCode - 1);
  cands.push([-1, maxV + ulpAtMax]); // virtual overflow code, parity of maxCode + 1
  let best = cands[0]!, bestD = Math.abs(a - best[1]);
  if (a >= cands[cands.length - 1]![1]) { best = cands[cands.length - 1]!; bestD = 0; } // at or beyond the virtual code
  for (const c of cands) {
    const d = Math.abs(a - c[1]);
    const parity = (cc: number) => (cc === -1 ? (f.maxCode + 1) & 1 : cc & 1);
    if (d < bestD || (d === bestD && parity(c[0]) === 0 && parity(best[0]) === 1)) { best = c; bestD = d; }
  }
  let code: number;
  if (best[0] === -1 || a === Infinity) {
    if (saturate || f.specials === 'none') code = f.maxCode;
    else if (f.specials === 'ieee') code = ((1 << (f.bits - 1)) - 1) & ~((1 << f.manBits) - 1);
    else if (f.specials === 'fn') code = f.nanCode;
    else return f.nanCode;
    return neg ? code | signBit : code; // ±max, ±Inf or S.1111.111
  }
  code = best[0];
  if (f.specials === 'fnuz' && code === 0) return 0;
  return neg ? code | signBit : code;
}

const expectedCounts: Record<string, number> = { e4m3: 126, e5m2: 123, e2m1: 7, e2m3: 31, e3m2: 31, e4m3fnuz: 127, e5m2fnuz: 127 };
const expectedMax: Record<string, number> = { e4m3: 448, e5m2: 57344, e2m1: 6, e2m3: 7.5, e3m2: 28, e4m3fnuz: 240, e5m2fnuz: 57344 };

for (const [name, [f, spec]] of Object.entries(SPECS)) {
  test(`${name}: every code decodes to its spec value and re-encodes to itself`, () => {
    let finitePos = 0, max = 0;
    for (let c = 0; c < 1 << f.bits; c++) {
      const want = specValue(spec, c), got = decodeMinifloat(f, c);
      if (Number.isNaN(want)) { assert.ok(Number.isNaN(got), `${name} code ${c}`); continue; }
      assert.ok(Object.is(got, want), `${name} code 0x${c.toString(16)}: ${got} vs spec ${want}`);
      if (want > 0 && Number.isFinite(want)) { finitePos++; max = Math.max(max, want); }
      for (const sat of [false, true]) {
        const back = encodeMinifloat(f, got, sat);
        if (Number.isFinite(want)) assert.equal(back, f.specials === 'fnuz' && want === 0 ? 0 : c, `${name} re-encode 0x${c.toString(16)} sat=${sat}`);
        else assert.equal(back, sat ? (c & (1 << (f.bits - 1))) | f.maxCode : c, `${name} Inf code sat=${sat}`);
      }
    }
    assert.equal(finitePos, expectedCounts[name]);
    assert.equal(max, expectedMax[name]);
    assert.equal(f.maxFinite, expectedMax[name]);
  });

  test(`${name}: every midpoint (and ±2^-40 around it) matches the nearest-even oracle, both modes`, () => {
    const vals: number[] = [];
    for (let c = 0; c < 1 << (f.bits - 1); c++) { const v = decodeMinifloat(f, c); if (Number.isFinite(v)) vals.push(v); }
    vals.sort((a, b) => a - b);
    vals.push(f.maxFinite + (f.maxFinite - decodeMinifloat(f, f.maxCode - 1))); // midpoint to the virtual code above max
    let ties = 0;
    for (let i = 0; i + 1 < vals.length; i++) {
      const mid = (vals[i]! + vals[i + 1]!) / 2;
      for (const x of [mid, mid * (1 + 2 ** -40), mid * (1 - 2 ** -40), -mid, -mid * (1 + 2 ** -40), -mid * (1 - 2 ** -40)]) {
        for (const sat of [false, true]) assert.equal(encodeMinifloat(f, x, sat), oracle(f, x, sat), `${name} x=${x} sat=${sat}`);
      }
      // A tie goes to the even code: check directly, not only via the oracle.
      const code = encodeMinifloat(f, mid, true);
      if (i + 1 < vals.length - 1) { assert.equal(code & 1, 0, `${name} midpoint ${mid} → odd code ${code}`); ties++; }
    }
    assert.ok(ties > 0);
  });

  test(`${name}: random and overflow-region inputs match the oracle`, () => {
    const rng = new Rng(1234).stream(name);
    for (let i = 0; i < 3000; i++) {
      const x = (rng.next() < 0.5 ? -1 : 1) * Math.pow(2, rng.uniform(-20, Math.log2(f.maxFinite) + 2));
      for (const sat of [false, true]) assert.equal(encodeMinifloat(f, x, sat), oracle(f, x, sat), `${name} x=${x}`);
    }
    for (const x of [Infinity, -Infinity, NaN, 0, -0, 1e30, -1e30, 5e-324]) {
      for (const sat of [false, true]) assert.equal(encodeMinifloat(f, x, sat), oracle(f, x, sat), `${name} x=${x} sat=${sat}`);
    }
  });
}

test('E2M1 values are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives', () => {
  assert.deepEqual(Array.from({ length: 16 }, (_, c) => decodeMinifloat(E2M1, c)), [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);
});

test('§11 vectors: E4M3 (saturating / non-saturating)', () => {
  const v: Array<[number, number, number]> = [
    [448, 0x7e, 0x7e], [464, 0x7e, 0x7e], [464.00001, 0x7e, 0x7f], [480, 0x7e, 0x7f], [500, 0x7e, 0x7f], [Infinity, 0x7e, 0x7f],
    [NaN, 0x7f, 0x7f], [-0, 0x80, 0x80], [1, 0x38, 0x38], [0.1, 0x1d, 0x1d], [2 ** -9, 0x01, 0x01], [2 ** -10, 0x00, 0x00],
    [1.5 * 2 ** -10, 0x01, 0x01],
  ];
  for (const [x, sat, nosat] of v) {
    assert.equal(encodeMinifloat(E4M3, x, true), sat, `E4M3 sat ${x}`);
    assert.equal(encodeMinifloat(E4M3, x, false), nosat, `E4M3 nosat ${x}`);
  }
  assert.equal(decodeMinifloat(E4M3, 0x1d), 0.1015625);
  assert.equal(encodeMinifloat(E4M3, 1.9375, true), encodeMinifloat(E4M3, 2, true)); // carry into the next binade
  assert.equal(encodeMinifloat(E4M3, -Infinity, true), 0xfe);
});

test('§11 vectors: E5M2', () => {
  for (const [x, sat, nosat] of [[57344, 0x7b, 0x7b], [61439, 0x7b, 0x7b], [61440, 0x7b, 0x7c], [65536, 0x7b, 0x7c],
    [Infinity, 0x7b, 0x7c], [2 ** -16, 0x01, 0x01], [2 ** -17, 0x00, 0x00]] as const) {
    assert.equal(encodeMinifloat(E5M2, x, true), sat, `E5M2 sat ${x}`);
    assert.equal(encodeMinifloat(E5M2, x, false), nosat, `E5M2 nosat ${x}`);
  }
  assert.equal(encodeMinifloat(E5M2, -61440, false), 0xfc); // −Inf
});

test('§11 vectors: E2M1 (always saturates; NaN → 6)', () => {
  const v: Array<[number, number]> = [[0.25, 0], [0.26, 1], [0.75, 2], [1.25, 2], [1.75, 4], [2.5, 4], [3.5, 6], [5, 6], [5.01, 7], [7, 7], [100, 7]];
  for (const [x, c] of v) for (const sat of [true, false]) assert.equal(encodeMinifloat(E2M1, x, sat), c, `E2M1 ${x}`);
  assert.equal(encodeMinifloat(E2M1, Infinity, false), 7);
  assert.equal(encodeMinifloat(E2M1, -Infinity, false), 15);
  assert.equal(encodeMinifloat(E2M1, NaN, false), 7);
});

test('overflow thresholds follow the saturation flag (E4M3 464 ties to 448, above overflows; E5M2 ≥ 61440)', () => {
  const up = (x: number) => x * (1 + 2 ** -45);
  const down = (x: number) => x * (1 - 2 ** -45);
  assert.equal(encodeMinifloat(E4M3, 464, false), 0x7e);
  assert.equal(encodeMinifloat(E4M3, up(464), false), 0x7f);
  assert.equal(encodeMinifloat(E4M3, up(464), true), 0x7e);
  assert.equal(encodeMinifloat(E4M3, -up(464), false), 0xff);
  assert.equal(encodeMinifloat(E4M3, -up(464), true), 0xfe);
  assert.equal(encodeMinifloat(E5M2, down(61440), false), 0x7b);
  assert.equal(encodeMinifloat(E5M2, 61440, false), 0x7c);
  assert.equal(encodeMinifloat(E5M2, 61440, true), 0x7b);
  assert.equal(encodeMinifloat(E5M2, -61440, true), 0xfb);
  assert.equal(encodeMinifloat(FP16, 65519.99, false), 0x7bff);
  assert.equal(encodeMinifloat(FP16, 65520, false), 0x7c00);
  assert.equal(encodeMinifloat(FP16, 65520, true), 0x7bff);
  assert.equal(BF16.maxFinite, 3.3895313892515355e38);
});

test('E8M0: every code decodes to 2^(e−127) (0xFF = NaN) and re-encodes to itself', () => {
  for (let e = 0; e < 255; e++) {
    assert.equal(decodeE8M0(e), Math.pow(2, e - 127));
    for (const mode of ['up', 'down', 'nearest'] as const) assert.equal(encodeE8M0(decodeE8M0(e), mode), e);
  }
  assert.ok(Number.isNaN(decodeE8M0(0xff)));
  assert.equal(encodeE8M0(NaN), 0xff);
  assert.equal(encodeE8M0(3, 'up'), 129); assert.equal(encodeE8M0(3, 'down'), 128); assert.equal(encodeE8M0(3, 'nearest'), 129);
  assert.equal(encodeE8M0(2.9, 'nearest'), 128); assert.equal(encodeE8M0(1.4999, 'nearest'), 127);
  assert.equal(encodeE8M0(2 ** 130), 0xff); assert.equal(encodeE8M0(2 ** -140, 'down'), 0);
});

// ---- 16-bit formats ----
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const bitsToF32 = (u: number) => { u32[0] = u >>> 0; return f32[0]!; };

test('FP16: all 2^16 codes — decode (formula and table), generic and fast re-encode', () => {
  const spec: Spec = { E: 5, M: 10, B: 15, specials: 'ieee' };
  for (let c = 0; c < 65536; c++) {
    const want = specValue(spec, c);
    const a = decodeMinifloat(FP16, c), b = f16BitsToF32(c);
    if (Number.isNaN(want)) { assert.ok(Number.isNaN(a) && Number.isNaN(b)); assert.equal(f32ToF16Bits(b), 0x7e00); continue; }
    assert.ok(Object.is(a, want) && Object.is(b, want), `fp16 0x${c.toString(16)}`);
    assert.equal(encodeMinifloat(FP16, a, false), c);
    assert.equal(f32ToF16Bits(b), c);
  }
});

test('FP16 fast path equals the generic encoder at every midpoint (±1 float32 ulp) and on random floats', () => {
  for (let c = 0; c < 0x7c00; c++) {
    const lo = decodeMinifloat(FP16, c), hi = decodeMinifloat(FP16, c + 1);
    const mid = (lo + hi) / 2; // exact in float32 (12 significant bits)
    u32[0] = 0; f32[0] = mid; const mb = u32[0]!;
    for (const u of [mb, mb + 1, mb - 1, mb | 0x80000000, (mb + 1) | 0x80000000]) {
      const x = bitsToF32(u);
      assert.equal(f32ToF16Bits(x), encodeMinifloat(FP16, x, false), `fp16 bits 0x${u.toString(16)}`);
    }
    assert.equal(encodeMinifloat(FP16, mid, false) & 1, 0, `fp16 midpoint ${mid} ties to even`);
  }
  const rng = new Rng(7);
  for (let i = 0; i < 200_000; i++) {
    const x = bitsToF32(rng.nextU32());
    if (Number.isNaN(x)) continue;
    assert.equal(f32ToF16Bits(x), encodeMinifloat(FP16, x, false));
  }
});

test('BF16: all 2^16 codes decode to spec and re-encode to themselves', () => {
  const spec: Spec = { E: 8, M: 7, B: 127, specials: 'ieee' };
  for (let c = 0; c < 65536; c++) {
    const want = specValue(spec, c), a = decodeMinifloat(BF16, c), b = bf16BitsToF32(c);
    if (Number.isNaN(want)) { assert.ok(Number.isNaN(a) && Number.isNaN(b)); continue; }
    assert.ok(Object.is(a, want) && Object.is(b, want), `bf16 0x${c.toString(16)}`);
    assert.equal(encodeMinifloat(BF16, a, false), c);
    assert.equal(f32ToBf16Bits(b), c);
  }
});

test('BF16 generic encoder and fast path match the RNE bit trick on 10^6 random floats plus constructed ties', () => {
  // The reference bit trick, written independently here: (u + 0x7FFF + ((u >> 16) & 1)) >> 16.
  const trick = (u: number) => Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 65536) & 0xffff;
  const rng = new Rng(2024);
  let checked = 0, ties = 0;
  const check = (u: number) => {
    const x = bitsToF32(u);
    if (Number.isNaN(x)) return;
    const want = trick(u);
    const g = encodeMinifloat(BF16, x, false), fp = f32ToBf16Bits(x);
    if (g !== want || fp !== want) assert.fail(`bf16 of 0x${u.toString(16)}: trick 0x${want.toString(16)}, generic 0x${g.toString(16)}, fast 0x${fp.toString(16)}`);
    checked++;
  };
  for (let i = 0; i < 1_000_000; i++) check(rng.nextU32());
  for (let i = 0; i < 200_000; i++) {
    const hi = rng.nextU32() & 0xffff0000;
    check(hi | 0x8000); ties++; // exact tie between two bf16 codes
    check(hi | 0x7fff); check(hi | 0x8001);
  }
  assert.ok(checked >= 1_000_000 + 3 * 190_000 && ties === 200_000);
});
