// Fuzz: safetensors files through parseSafetensors: byte mutations, and header-JSON mutations re-framed
// with a correct length prefix (dtype, shape, data_offsets, __metadata__…).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzz, jsonMutation, mutatedBytes, mutateJson, RUNS } from './harness.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';

const seeds = [
  serializeSafetensors([{ name: 'w', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) }, { name: 'b', shape: [3], data: new Float32Array(3) }], { note: 'x' }),
  serializeSafetensors([{ name: 'x', shape: [], data: Float32Array.of(1.5) }, { name: 'e', shape: [0, 5], data: new Float32Array(0) }]),
  serializeSafetensors([{ name: 'a.weight', shape: [2, 2, 2], data: new Float32Array(8).fill(-2) }]),
];
const parts = seeds.map((s) => {
  const n = Number(new DataView(s.buffer, s.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(s.subarray(8, 8 + n))), data: s.subarray(8 + n) };
});
function reframe(header: unknown, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header) ?? 'null');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test(`safetensors: ${RUNS} mutated files parse or fail with a UserError`, { timeout: 120_000 }, () => {
  const arb = fc.oneof(
    mutatedBytes(seeds),
    fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
      .map(([i, m]) => reframe(mutateJson(parts[i]!.header, m), parts[i]!.data)),
  );
  const stats = fuzz(arb, (b) => { parseSafetensors(b, 'fuzz.safetensors'); });
  assert.equal(stats.cases, RUNS);
  console.log(`safetensors: ${JSON.stringify(stats)}`);
});
