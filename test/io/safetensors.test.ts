// safetensors interop: export → import round-trips float32 exactly, the header follows the spec
// (u64 LE size, '{', space-padded to 8, contiguous data_offsets), F16/BF16 import, and malformed
// files (seeded fuzz included) are UserErrors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSafetensors, importSafetensors, parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function build(header: object, data: Uint8Array): Uint8Array {
  const h = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8); out.set(data, 8 + h.length);
  return out;
}

test('export → import round-trips float32 exactly; header follows the spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-st-'));
  try {
    const rng = new Rng(1);
    const w = new Float32Array(300 * 7).map(() => rng.normal());
    w[3] = NaN; w[4] = -0; w[5] = Infinity;
    const b = new Float32Array([1, 2, 3]);
    const path = join(dir, 'm.safetensors');
    const size = exportSafetensors(path, [{ name: 'fc.weight', shape: [300, 7], data: w }, { name: 'fc.bias', shape: [3], data: b }], { format: 'pt' });
    assert.equal(statSync(path).size, size);
    const back = importSafetensors(path);
    assert.deepEqual(back.metadata, { format: 'pt' });
    assert.deepEqual(back.tensors.map((t) => t.name), ['fc.weight', 'fc.bias']);
    assert.deepEqual(back.tensors[0]!.data, w);
    assert.deepEqual([...back.tensors[0]!.shape], [300, 7]);
    const bytes = serializeSafetensors([{ name: 'x', shape: [2], data: new Float32Array([1, 2]) }]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0); assert.equal(bytes[8], 0x7b);
    const hdr = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    assert.deepEqual(hdr, { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('imports F16 and BF16 exactly widened', () => {
  const data = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, /* bf16 */ 0x80, 0x3f, 0x49, 0x40]); // fp16 1, −2; bf16 1, 3.140625
  const f = parseSafetensors(build({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1, 2], data_offsets: [4, 8] } }, data), 'x');
  assert.deepEqual(Array.from(f.tensors[0]!.data), [1, -2]);
  assert.deepEqual(Array.from(f.tensors[1]!.data), [1, 3.140625]);
});

test('malformed safetensors files are UserErrors naming the field', () => {
  const ok = (h: object, n: number) => build(h, new Uint8Array(n));
  const bad = (b: Uint8Array, re: RegExp) => assert.throws(() => parseSafetensors(b, 'f.st'), (e: unknown) => e instanceof UserError && re.test((e as Error).message) && /^f\.st: /.test((e as Error).message));
  bad(new Uint8Array(5), /header size/);
  const huge = new Uint8Array(16); new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true); bad(huge, /exceeds/);
  bad(ok({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8).subarray(0, 20), /header size|truncated/);
  bad(ok({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), /needs 8/);
  bad(ok({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /hole/);
  bad(ok({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /overlaps|hole|covered/);
  bad(ok({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /not covered/);
  bad(ok({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), /not supported/);
  bad(ok({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 8] } }, 8), /absurd/);
  bad(ok({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, 8), /shape/);
  bad(ok({ __metadata__: { a: 1 } }, 0), /__metadata__/);
  bad(ok([1, 2] as unknown as object, 0), /header/);
  assert.throws(() => importSafetensors('/nonexistent.safetensors'), UserError);
});

test('fuzz: 3,000 mutated or truncated safetensors files raise only UserErrors', { timeout: 30_000 }, () => {
  const rng = new Rng(99);
  const base = serializeSafetensors([
    { name: 'w', shape: [8, 8], data: new Float32Array(64).map(() => rng.normal()) },
    { name: 'b', shape: [8], data: new Float32Array(8) },
  ], { arch: 'mlp' });
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    let b = base.slice();
    if (i % 3 === 0) b = b.slice(0, rng.int(b.length));
    else for (let j = 0; j < 1 + rng.int(4); j++) b[rng.int(Math.min(b.length, 8 + 200))]! ^= 1 + rng.int(255); // target the header
    try { parseSafetensors(b, 'f'); } catch (e) { if (!(e instanceof UserError)) throw e; errors++; }
  }
  assert.ok(errors > 2000, `${errors}`);
});
