// Format-table tests: §10 bits per weight, exact byte sizes, MX and NVFP4 block rules as the guide
// states them (recomputed here step by step), integer / ternary / binary rules, per-row scales
// over sparse value lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS, FORMAT_NAMES, INT_GROUP, type FormatName, getFormat, roundTrip } from '../../src/quant/formats.js';
import { E2M1, E2M3, E3M2, E4M3, E5M2, type MinifloatSpec, decodeMinifloat, encodeMinifloat } from '../../src/quant/minifloat.js';
import { unpackBits } from '../../src/quant/bitpack.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * scale;
  return v;
}

test('§10 bits per weight at [4096, 4096], scales included', () => {
  const K = 4096, n = K * K;
  const want: Record<FormatName, number> = {
    fp32: 32, fp16: 16, bf16: 16,
    'fp8-e4m3': 8 + 32 / n, 'fp8-e4m3-sat': 8 + 32 / n, 'fp8-e5m2': 8 + 32 / n, 'fp8-e5m2-sat': 8 + 32 / n,
    'mxfp8-e4m3': 8.25, 'mxfp8-e5m2': 8.25, 'mxfp6-e2m3': 6.25, 'mxfp6-e3m2': 6.25, mxfp4: 4.25,
    nvfp4: 4.5 + 32 / n,
    'int8-channel': 8 + 32 / K, 'int8-channel-asym': 8 + 40 / K, 'int8-group': 8 + 16 / 128, 'int8-group-asym': 8 + 24 / 128,
    'int4-channel': 4 + 32 / K, 'int4-channel-asym': 4 + 36 / K, 'int4-group': 4.125, 'int4-group-asym': 4 + 20 / 128,
    ternary: 2 + 32 / n, binary: 1 + 32 / K,
  };
  for (const name of FORMAT_NAMES) assert.equal(FORMATS[name].bitsPerWeight(n, K), want[name], name);
  assert.equal(FORMAT_NAMES.length, 23);
  assert.throws(() => getFormat('fp7'), UserError);
});

test('bytes() equals the quantized codes + scales for random shapes and sparse row splits', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 40; trial++) {
    const rows = 1 + rng.int(9), count = rng.int(300);
    const rowPtr = new Uint32Array(rows + 1);
    for (let r = 1; r < rows; r++) rowPtr[r] = rng.int(count + 1);
    rowPtr[rows] = count; rowPtr.sort();
    const v = randn(rng, count);
    for (const name of FORMAT_NAMES) {
      const f = FORMATS[name];
      const q = f.quantize(v, [rows, 1000], rowPtr);
      assert.equal(q.codes.length + q.scales.length, f.bytes(count, rows), `${name} count=${count} rows=${rows}`);
      assert.equal(f.dequantize(q).length, count);
    }
  }
});

test('zeros stay exactly zero in every format but binary; fp formats are idempotent', () => {
  const rng = new Rng(3);
  const v = randn(rng, 256);
  for (let i = 0; i < v.length; i += 3) v[i] = 0;
  for (const name of FORMAT_NAMES) {
    const d = roundTrip(name, v, [4, 64]);
    for (let i = 0; i < v.length; i += 3) {
      if (name === 'binary') assert.ok(d[i]! > 0, 'binary maps 0 to +α');
      else assert.equal(d[i], 0, `${name} index ${i}`);
    }
    if (name.startsWith('fp') || name.startsWith('mx') || name === 'bf16') {
      assert.deepEqual(roundTrip(name, d, [4, 64]), d, `${name} idempotent`);
    }
  }
  assert.deepEqual(roundTrip('fp32', v, [4, 64]), v);
});

function mxRef(elem: MinifloatSpec, emax: number, block: Float32Array) {
  let amax = 0;
  for (const x of block) amax = Math.max(amax, Math.abs(x));
  // shared_exp = floor(log2 amax) − emax_elem, clamped to ≥ −127 (amax = 0 → −127)
  let e = amax === 0 ? -127 : Math.floor(Math.log2(amax));
  if (amax !== 0) { if (2 ** e > amax) e--; if (2 ** (e + 1) <= amax) e++; e -= emax; }
  const se = Math.max(-127, e);
  const X = 2 ** se;
  return { scale: se + 127, codes: Array.from(block, (x) => encodeMinifloat(elem, x / X, true)), X };
}

test('MX block rule: E8M0 scale = floor(log2 amax) − emax, elements RNE(V/X) saturated, decode X·P', () => {
  const rng = new Rng(5);
  const rows: Array<[FormatName, MinifloatSpec, number]> = [
    ['mxfp8-e4m3', E4M3, 8], ['mxfp8-e5m2', E5M2, 15], ['mxfp6-e2m3', E2M3, 2], ['mxfp6-e3m2', E3M2, 4], ['mxfp4', E2M1, 2]];
  for (const [name, elem, emax] of rows) {
    const f = FORMATS[name];
    for (let t = 0; t < 30; t++) {
      const n = 32 * (1 + rng.int(4)) + rng.int(32); // includes a partial last block
      const v = randn(rng, n, 2 ** rng.uniform(-30, 30));
      if (t === 0) v.fill(0, 0, 32); // an all-zero block → scale 2^−127
      const q = f.quantize(v, [1, n]);
      const codes = unpackBits(q.codes, f.codeBits, n);
      const dec = f.dequantize(q);
      assert.equal(q.scales.length, Math.ceil(n / 32));
      for (let b = 0; b * 32 < n; b++) {
        const ref = mxRef(elem, emax, v.subarray(b * 32, Math.min(n, b * 32 + 32)));
        assert.equal(q.scales[b], ref.scale, `${name} block ${b} scale`);
        for (let i = 0; i < ref.codes.length; i++) {
          assert.equal(codes[b * 32 + i], ref.codes[i], `${name} block ${b} element ${i}`);
          assert.equal(dec[b * 32 + i], Math.fround(ref.X * decodeMinifloat(elem, ref.codes[i]!)));
        }
      }
    }
  }
});

test('§11 MXFP4 vector: scale 127, codes 0 8 1 7 0 b 4 6, 7.0 saturates to 6', () => {
  const v = new Float32Array([0.1, -0.25, 0.33, 7.0, 0, -1.5, 2.2, 3.9, ...new Array<number>(24).fill(0.05)]);
  const q = FORMATS.mxfp4.quantize(v, [1, 32]);
  assert.deepEqual(Array.from(q.scales), [127]);
  assert.deepEqual(Array.from(unpackBits(q.codes, 4, 8)), [0x0, 0x8, 0x1, 0x7, 0x0, 0xb, 0x4, 0x6]);
  assert.equal(q.codes[0], 0x80); // first element in the low nibble
  const d = FORMATS.mxfp4.dequantize(q);
  assert.deepEqual(Array.from(d.subarray(0, 8)), [0, -0, 0.5, 6, 0, -1.5, 2, 4]);
  // A block holding NaN gets the NaN scale.
  v[5] = NaN;
  const qn = FORMATS.mxfp4.quantize(v, [1, 32]);
  assert.equal(qn.scales[0], 0xff);
  assert.ok(Number.isNaN(FORMATS.mxfp4.dequantize(qn)[0]!));
});

test('NVFP4 two-level rule: s_g = amax/2688, UE4M3 s_b per 16 clamped to [2^-6, 448], E2M1 elements', () => {
  const rng = new Rng(9);
  const f = FORMATS.nvfp4;
  for (let t = 0; t < 20; t++) {
    const n = 16 * (1 + rng.int(6)) + rng.int(16);
    const v = randn(rng, n, 2 ** rng.uniform(-10, 10));
    if (t === 1) v.fill(0, 0, 16);
    const q = f.quantize(v, [1, n]);
    const nb = Math.ceil(n / 16);
    assert.equal(q.scales.length, nb + 4);
    let amax = 0;
    for (const x of v) amax = Math.max(amax, Math.abs(x));
    const sg = Math.fround(amax / 2688);
    assert.equal(dv(q.scales).getFloat32(nb, true), sg);
    const codes = unpackBits(q.codes, 4, n);
    const dec = f.dequantize(q);
    for (let b = 0; b < nb; b++) {
      const blk = v.subarray(b * 16, Math.min(n, b * 16 + 16));
      let bmax = 0;
      for (const x of blk) bmax = Math.max(bmax, Math.abs(x));
      const ratio = Math.min(448, Math.max(2 ** -6, Math.fround(Math.fround(bmax / 6) / sg)));
      const sc = encodeMinifloat(E4M3, ratio, true);
      assert.equal(q.scales[b], sc, `block ${b}`);
      const denom = Math.fround(sg * decodeMinifloat(E4M3, sc));
      for (let i = 0; i < blk.length; i++) {
        const c = encodeMinifloat(E2M1, Math.min(6, Math.max(-6, Math.fround(blk[i]! / denom))), true);
        assert.equal(codes[b * 16 + i], c);
        assert.equal(dec[b * 16 + i], Math.fround(decodeMinifloat(E2M1, c) * decodeMinifloat(E4M3, sc) * sg));
      }
    }
  }
});

test('INT symmetric: s = amax/qmax, RNE ties to even, clamp to ±qmax; per-row scales over a sparse list', () => {
  const v = new Float32Array([127, 0.5, 1.5, 2.5, -0.5, -2.5, -127, 3.5]);
  const q = FORMATS['int8-channel'].quantize(v, [1, 8]);
  assert.equal(dv(q.scales).getFloat32(0, true), 1);
  assert.deepEqual(Array.from(q.codes), [127, 0, 2, 2, 0, 254, 129, 4]); // two's complement: −2 = 254, −127 = 129
  assert.deepEqual(Array.from(FORMATS['int8-channel'].dequantize(q)), [127, 0, 2, 2, 0, -2, -127, 4]);
  // int4, per row of a sparse value list: row 0 = [7, 3.5], row 1 = [] (scale still stored), row 2 = [-14, 1]
  const list = new Float32Array([7, 3.5, -14, 1]);
  const rp = new Uint32Array([0, 2, 2, 4]);
  const q4 = FORMATS['int4-channel'].quantize(list, [3, 50], rp);
  assert.equal(q4.scales.length, 12);
  assert.deepEqual([0, 4, 8].map((o) => dv(q4.scales).getFloat32(o, true)), [1, 0, 2]);
  assert.deepEqual(Array.from(unpackBits(q4.codes, 4, 4)), [7, 4, 9, 0]); // 3.5 → 4 (even), −7 → 9, 0.5 → 0 (even)
  const rng = new Rng(1);
  const w = randn(rng, 5 * 300);
  for (const name of ['int8-channel', 'int8-group', 'int4-channel', 'int4-group'] as const) {
    const f = FORMATS[name];
    const d = f.dequantize(f.quantize(w, [5, 300]));
    const bits = name.startsWith('int8') ? 8 : 4, qmax = 2 ** (bits - 1) - 1;
    const codes = unpackBits(f.quantize(w, [5, 300]).codes, bits, w.length);
    for (const c of codes) { const s = c >= 2 ** (bits - 1) ? c - 2 ** bits : c; assert.ok(s >= -qmax && s <= qmax); }
    // error ≤ half a step (+ fp16 scale rounding for groups)
    for (let r = 0; r < 5; r++) {
      let amax = 0;
      for (let i = 0; i < 300; i++) amax = Math.max(amax, Math.abs(w[r * 300 + i]!));
      for (let i = 0; i < 300; i++) assert.ok(Math.abs(d[r * 300 + i]! - w[r * 300 + i]!) <= (amax / qmax) * 0.51 + 1e-6, name);
    }
  }
  assert.equal(INT_GROUP, 128);
});

test('INT asymmetric: 0 is exact, min and max map to 0 and 2^b − 1', () => {
  const v = new Float32Array([-1, 0, 2, 0.7, 0, -0.3]);
  for (const name of ['int8-channel-asym', 'int8-group-asym', 'int4-channel-asym', 'int4-group-asym'] as const) {
    const f = FORMATS[name];
    const bits = name.startsWith('int8') ? 8 : 4;
    const q = f.quantize(v, [1, 6]);
    const codes = unpackBits(q.codes, bits, 6);
    assert.equal(codes[0], 0, name); assert.equal(codes[2], 2 ** bits - 1, name);
    const d = f.dequantize(q);
    assert.equal(d[1], 0); assert.equal(d[4], 0);
    const step = 3 / (2 ** bits - 1);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(d[i]! - v[i]!) <= step * 0.51 + 1e-3, `${name} ${i}`);
  }
  // all-positive data still keeps 0 exact (min clamps to 0)
  const p = new Float32Array([1, 2, 3, 0]);
  assert.equal(roundTrip('int4-channel-asym', p, [1, 4])[3], 0);
});

test('ternary absmean: γ = mean|W| (≥ 1e-5), W̃ = clamp(RNE(W/γ), −1, 1); codes 0/1/3', () => {
  const v = new Float32Array([1, -1, 0.5, -0.5, 0.51, 4, 0, -3]); // mean|W| = 10.51/8
  const q = FORMATS.ternary.quantize(v, [1, 8]);
  const g = Math.fround(10.51 / 8);
  assert.equal(dv(q.scales).getFloat32(0, true), g);
  const want = Array.from(v, (x) => Math.max(-1, Math.min(1, Math.round(x / g))));
  assert.deepEqual(Array.from(FORMATS.ternary.dequantize(q)), want.map((t) => (t === 0 ? 0 : t * g)));
  const tie = new Float32Array([1, -1, 0.5, 0.5]); // γ = 0.75: 0.5/0.75 = 0.67 → 1; 1/0.75 → 1
  assert.deepEqual(Array.from(unpackBits(FORMATS.ternary.quantize(tie, [1, 4]).codes, 2, 4)), [1, 3, 1, 1]);
  const h = new Float32Array([2, 2, 1, -1]); // γ = 1.5: 1/1.5 = 0.67 → 1
  assert.deepEqual(Array.from(unpackBits(FORMATS.ternary.quantize(h, [1, 4]).codes, 2, 4)), [1, 1, 1, 3]);
  const even = new Float32Array([1, 3]); // γ = 2: 1/2 = 0.5 ties to even 0
  assert.deepEqual(Array.from(unpackBits(FORMATS.ternary.quantize(even, [1, 2]).codes, 2, 2)), [0, 1]);
  assert.equal(dv(FORMATS.ternary.quantize(new Float32Array(4), [1, 4]).scales).getFloat32(0, true), Math.fround(1e-5));
  const bad = FORMATS.ternary.quantize(v, [1, 8]);
  bad.codes[0] = 0b10;
  assert.match(FORMATS.ternary.checkCodes(bad) ?? '', /code 2/);
});

test('binary: α = mean|w| per row, +α for w ≥ 0 (including 0), −α otherwise', () => {
  const v = new Float32Array([1, -3, 0, 2, /* row 2 */ -1, -1, 1, 5]);
  const d = roundTrip('binary', v, [2, 4]);
  assert.deepEqual(Array.from(d), [1.5, -1.5, 1.5, 1.5, -2, -2, 2, 2]);
  assert.equal(FORMATS.binary.hasZero, false);
});

test('fp8 per-tensor formats: saturation flag decides non-finite inputs', () => {
  const v = new Float32Array([1, -2, 448, Infinity, -Infinity]);
  const sat = roundTrip('fp8-e4m3-sat', v, [1, 5]), nosat = roundTrip('fp8-e4m3', v, [1, 5]);
  assert.deepEqual(Array.from(sat.subarray(0, 3)), [1, -2, 448]);
  assert.equal(sat[3], 448); assert.equal(sat[4], -448);
  assert.ok(Number.isNaN(nosat[3]!) && Number.isNaN(nosat[4]!));
  const e5 = roundTrip('fp8-e5m2', v, [1, 5]);
  assert.equal(e5[3], Infinity); assert.equal(e5[4], -Infinity);
  assert.equal(roundTrip('fp8-e5m2-sat', v, [1, 5])[3], 57344 * (448 / 57344));
});
