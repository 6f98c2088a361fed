// Tensor files: exact round trip for every dtype, and every kind of damage is a UserError naming
// the file (never a wrong tensor, never a RangeError from a bad offset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadTensors, saveTensors } from '../../src/store/tensorfile.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-tensorfile-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function sample(): Record<string, Float32Array | Uint8Array | Int32Array> {
  const rng = new Rng(42);
  return {
    'fc1.weight': new Float32Array(301).map(() => rng.normal()),
    'fc1.mask': new Uint8Array(301).map(() => (rng.next() < 0.5 ? 1 : 0)),
    empty: new Float32Array(0),
    steps: Int32Array.from([0, -1, 2147483647, -2147483648, 7]),
    odd: new Uint8Array([1, 2, 3]),
    special: Float32Array.from([NaN, Infinity, -Infinity, -0, 1e-45]),
  };
}

function assertUserError(f: () => unknown, path: string, what: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `${what}: expected UserError, got ${String(e)}`);
    assert.ok(e.message.includes(path), `${what}: message should name the file: ${e.message}`);
    return true;
  });
}

test('round trip: every dtype, exact bits, metadata, subarray views', () => {
  const path = join(dir, 'a.wt');
  const t = sample();
  const big = new Float32Array(100).map((_, i) => i * 0.5);
  t.view = big.subarray(3, 10); // a view with a non-zero byteOffset
  const meta = { iteration: 1234, level: 3, note: 'x<y', nested: { a: [1, 2] } };
  saveTensors(path, t, meta);
  const r = loadTensors(path);
  assert.deepEqual(Object.keys(r.tensors), Object.keys(t));
  for (const [k, v] of Object.entries(t)) {
    const got = r.tensors[k]!;
    assert.equal(got.constructor, v.constructor, k);
    assert.deepEqual(new Uint8Array(got.buffer, got.byteOffset, got.byteLength), new Uint8Array(v.buffer, v.byteOffset, v.byteLength), `${k} bits`);
  }
  assert.deepEqual(r.meta, meta);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
});

test('saving is deterministic and overwrites atomically', () => {
  const a = join(dir, 'b.wt');
  saveTensors(a, sample(), { k: 1 });
  const h1 = createHash('sha256').update(readFileSync(a)).digest('hex');
  saveTensors(a, sample(), { k: 1 });
  assert.equal(createHash('sha256').update(readFileSync(a)).digest('hex'), h1);
  saveTensors(a, { x: new Int32Array([5]) });
  assert.deepEqual(loadTensors(a).tensors, { x: new Int32Array([5]) });
});

test('truncation at every 97th byte offset is a UserError', () => {
  const path = join(dir, 'c.wt');
  saveTensors(path, sample(), { m: 'meta' });
  const full = readFileSync(path);
  const cut = join(dir, 'cut.wt');
  let n = 0;
  for (let len = 0; len < full.length; len += 97) {
    writeFileSync(cut, full.subarray(0, len));
    assertUserError(() => loadTensors(cut), cut, `truncated to ${len}`);
    n++;
  }
  writeFileSync(cut, full.subarray(0, full.length - 1));
  assertUserError(() => loadTensors(cut), cut, 'last byte cut');
  assert.ok(n > 10, `file should be big enough to cut many times (${full.length} bytes)`);
});

test('flipped bytes anywhere, trailing bytes, bad magic and version are UserErrors', () => {
  const path = join(dir, 'd.wt');
  saveTensors(path, sample(), { m: 'meta' });
  const full = readFileSync(path);
  const bad = join(dir, 'bad.wt');
  for (let i = 0; i < full.length; i += 13) {
    const b = Buffer.from(full);
    b[i] = b[i]! ^ 0x5a;
    writeFileSync(bad, b);
    assertUserError(() => loadTensors(bad), bad, `byte ${i} flipped`);
  }
  writeFileSync(bad, Buffer.concat([full, Buffer.from([0])]));
  assertUserError(() => loadTensors(bad), bad, 'trailing byte');
  const v2 = Buffer.from(full);
  v2.writeUInt32LE(2, 8);
  writeFileSync(bad, v2);
  assert.throws(() => loadTensors(bad), /unsupported format version 2/);
  writeFileSync(bad, 'hello, this is not a tensor file at all........................');
  assert.throws(() => loadTensors(bad), /bad magic/);
  assertUserError(() => loadTensors(join(dir, 'missing.wt')), join(dir, 'missing.wt'), 'missing');
});

test('a header whose lengths disagree with the payload is rejected even with a valid checksum', () => {
  // Forge a file with a correct checksum but a tensor that claims more elements than stored.
  const path = join(dir, 'e.wt');
  saveTensors(path, { a: new Float32Array(4) });
  const full = readFileSync(path);
  const hlen = full.readUInt32LE(12);
  const header = JSON.parse(full.toString('utf8', 16, 16 + hlen));
  header.tensors[0].length = 400;
  const json = Buffer.from(JSON.stringify(header));
  const start = Math.ceil((16 + json.length) / 8) * 8;
  const out = Buffer.alloc(start + header.payloadBytes + 32);
  full.copy(out, 0, 0, 12);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  full.copy(out, start, Math.ceil((16 + hlen) / 8) * 8, full.length - 32);
  createHash('sha256').update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32);
  writeFileSync(path, out);
  assert.throws(() => loadTensors(path), (e: unknown) => e instanceof UserError && /past the 16-byte payload/.test(e.message));
});

test('invalid tensors are refused at save time', () => {
  assert.throws(() => saveTensors(join(dir, 'f.wt'), { a: new Float64Array(2) as unknown as Float32Array }), TypeError);
  assert.throws(() => saveTensors(join(dir, 'f.wt'), { '': new Uint8Array(1) }), TypeError);
});
