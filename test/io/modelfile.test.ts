// Model file: save → load round-trips exactly, file size equals the accounting, every malformed
// input is a UserError naming the file and field, and a seeded fuzz of ≥ 10,000 mutated, truncated,
// spliced and lying files never crashes or hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ModelFile, loadModelFile, parseModelFile, predictModelFileBytes, saveModelFile, serializeModelFile,
} from '../../src/io/modelfile.js';
import { crc32 } from '../../src/io/crc32.js';
import { type EncodedTensor, decodeTensor, encodeTensor, planTensor, prune24 } from '../../src/sparse/encodings.js';
import { FORMAT_NAMES, type FormatName } from '../../src/quant/formats.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function sparse(rng: Rng, n: number, d: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.next() < d) v[i] = rng.normal() || 0.5;
  return v;
}

function sampleModel(rng: Rng, scale = 1): { tensors: EncodedTensor[]; meta: Record<string, unknown> } {
  const r = Math.max(1, Math.round(12 * scale)), c = Math.max(4, 4 * Math.round(8 * scale));
  const tensors = [
    encodeTensor('fc1.weight', sparse(rng, r * c, 0.2), [r, c], 'mxfp4', 'csr'),
    encodeTensor('fc1.bias', sparse(rng, r, 1), [r], 'fp32', 'dense'),
    encodeTensor('fc2.weight', sparse(rng, r * c, 0.05), [r, c], 'int8-channel', 'gap4'),
    encodeTensor('fc3.weight', prune24(sparse(rng, r * c, 1), [r, c]), [r, c], 'nvfp4', '2:4'),
    encodeTensor('fc4.weight', sparse(rng, r * c, 0.5), [r, c], 'ternary', 'bitmask'),
    encodeTensor('conv.weight', sparse(rng, 4 * 3 * 3 * 3, 0.3), [4, 3, 3, 3], 'bf16', 'gap8'),
  ];
  return { tensors, meta: { arch: 'mlp:784-300-100-10', seed: 7, note: 'ünïcødé' } };
}

function sameModel(a: ModelFile, tensors: EncodedTensor[], meta: unknown): void {
  assert.deepEqual(a.meta, meta);
  assert.equal(a.tensors.length, tensors.length);
  a.tensors.forEach((t, i) => {
    const w = tensors[i]!;
    assert.equal(t.name, w.name); assert.deepEqual([...t.shape], [...w.shape]);
    assert.equal(t.format, w.format); assert.equal(t.encoding, w.encoding);
    assert.equal(t.nnz, w.nnz); assert.equal(t.stored, w.stored);
    assert.deepEqual(Buffer.from(t.payload), Buffer.from(w.payload));
    assert.deepEqual(decodeTensor(t), decodeTensor(w));
  });
}

test('save → load round-trips exactly and the file size equals predictModelFileBytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-mf-'));
  try {
    const rng = new Rng(1);
    const { tensors, meta } = sampleModel(rng);
    const path = join(dir, 'm.winnow');
    const size = saveModelFile(path, tensors, meta);
    assert.equal(statSync(path).size, size);
    assert.equal(size, predictModelFileBytes(tensors, meta));
    sameModel(loadModelFile(path), tensors, meta);
    // Every format × auto encoding, planned from mask statistics before quantizing.
    const values = sparse(rng, 16 * 40, 0.1);
    const plans = FORMAT_NAMES.map((f) => planTensor(`w.${f}`, values, [16, 40], f, 'auto'));
    const all = FORMAT_NAMES.map((f) => encodeTensor(`w.${f}`, values, [16, 40], f as FormatName, 'auto'));
    plans.forEach((p, i) => { assert.equal(p.encoding, all[i]!.encoding); assert.equal(p.bytes, all[i]!.payload.length); });
    const p2 = join(dir, 'all.winnow');
    assert.equal(saveModelFile(p2, all, {}), predictModelFileBytes(plans, {}));
    assert.equal(statSync(p2).size, predictModelFileBytes(plans, {}));
    sameModel(loadModelFile(p2), all, {});
    // Random shapes and densities.
    for (let t = 0; t < 20; t++) {
      const rows = 1 + rng.int(20), cols = 4 * (1 + rng.int(30));
      const v = sparse(rng, rows * cols, [0.01, 0.1, 0.5, 1][t % 4]!);
      const fmt = FORMAT_NAMES[rng.int(FORMAT_NAMES.length)]!;
      const ts = [encodeTensor('a', v, [rows, cols], fmt, 'auto'), encodeTensor('b', v, [rows * cols], 'fp16', 'csr')];
      const bytes = serializeModelFile(ts, { t });
      assert.equal(bytes.length, predictModelFileBytes(ts.map((x) => planTensor(x.name, v, x.shape, x.format, x.encoding)), { t }));
      sameModel(parseModelFile(bytes, 'mem'), ts, { t });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- helpers to build lying files with a correct checksum ----
function withHeader(bytes: Uint8Array, edit: (h: any) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const H = dv.getUint32(8, true);
  const h = JSON.parse(Buffer.from(bytes.subarray(12, 12 + H)).toString('utf8'));
  edit(h);
  const nh = Buffer.from(JSON.stringify(h));
  const body = bytes.subarray(12 + H, bytes.length - 4);
  const out = new Uint8Array(12 + nh.length + body.length + 4);
  out.set(bytes.subarray(0, 8)); new DataView(out.buffer).setUint32(8, nh.length, true);
  out.set(nh, 12); out.set(body, 12 + nh.length);
  return fixCrc(out);
}
function fixCrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}
function expectUserError(bytes: Uint8Array, re?: RegExp): void {
  try {
    parseModelFile(bytes, 'bad.winnow');
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match(e.message, /^bad\.winnow: /);
    if (re) assert.match(e.message, re);
    return;
  }
  assert.fail('expected a UserError, but the file loaded');
}

test('malformed files: clear UserErrors naming the file and the field', () => {
  const { tensors, meta } = sampleModel(new Rng(2));
  const good = serializeModelFile(tensors, meta);
  const m = (f: (b: Uint8Array) => void) => { const b = good.slice(); f(b); return b; };
  expectUserError(m((b) => { b[0] = 0x58; }), /magic/);
  expectUserError(fixCrc(m((b) => { b[7] = 2; })), /version.*unknown version 2/);
  expectUserError(good.subarray(0, 10), /truncated/);
  expectUserError(good.subarray(0, good.length - 1), /checksum|header length/);
  expectUserError(m((b) => { b[good.length - 10]! ^= 1; }), /checksum/);
  expectUserError(fixCrc(m((b) => { new DataView(b.buffer).setUint32(8, 1e9, true); })), /header length/);
  expectUserError(withHeader(good, (h) => { h.tensors[0].shape = [1e6, 1e6]; }), /shape.*absurd/);
  expectUserError(withHeader(good, (h) => { h.tensors[1].offset += 1; }), /fc1\.bias'\.offset/);
  expectUserError(withHeader(good, (h) => { h.tensors[5].length += 4; }), /length/);
  expectUserError(withHeader(good, (h) => { h.tensors[0].length += 1e9; h.tensors[0].offset = 1e12; }), /length|offset/);
  expectUserError(withHeader(good, (h) => { h.tensors[2].format = 'fp7'; }), /format.*unknown format/);
  expectUserError(withHeader(good, (h) => { h.tensors[2].encoding = 'coo'; }), /encoding/);
  expectUserError(withHeader(good, (h) => { h.tensors[1].name = 'fc1.weight'; }), /duplicate/);
  expectUserError(withHeader(good, (h) => { h.tensors[0].nnz += 1; }), /stored|nnz/);
  expectUserError(withHeader(good, (h) => { h.tensors[3].shape = [5, 6]; }), /2:4|length|nnz/);
  expectUserError(withHeader(good, (h) => { delete h.tensors[4].stored; }), /stored/);
  expectUserError(withHeader(good, (h) => { h.meta = 3; }), /meta/);
  expectUserError(withHeader(good, (h) => { h.tensors = {}; }), /tensors/);
  expectUserError(fixCrc(m((b) => { b[12] = 0x5b; })), /header/);
  const extra = new Uint8Array(good.length + 3); extra.set(good.subarray(0, good.length - 4));
  expectUserError(fixCrc(extra), /unaccounted/);
  assert.throws(() => loadModelFile('/nonexistent/dir/x.winnow'), (e: unknown) => e instanceof UserError && /cannot read/.test((e as Error).message));
});

test('fuzz: ≥ 10,000 mutated / truncated / spliced / lying model files each give a UserError', { timeout: 60_000 }, () => {
  const rng = new Rng(20240601);
  const bases = [0.3, 0.6, 1, 1.5].map((s, i) => { const { tensors, meta } = sampleModel(new Rng(100 + i), s); return serializeModelFile(tensors, meta); });
  const pick = () => bases[rng.int(bases.length)]!;
  const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  const counts: Record<string, number> = {};
  const must = (kind: string, b: Uint8Array) => { expectUserError(b); counts[kind] = (counts[kind] ?? 0) + 1; };

  for (let i = 0; i < 4000; i++) { // byte flips (checksum not fixed)
    const b = pick().slice();
    const k = 1 + rng.int(4);
    for (let j = 0; j < k; j++) b[rng.int(b.length)]! ^= 1 + rng.int(255);
    if (!bases.some((x) => eq(x, b))) must('flip', b);
  }
  for (let i = 0; i < 2000; i++) { const b = pick(); must('truncate', b.slice(0, rng.int(b.length))); }
  for (let i = 0; i < 1500; i++) { // splice a prefix of one file onto a suffix of another
    const a = pick(), c = pick();
    const s = new Uint8Array([...a.subarray(0, rng.int(a.length)), ...c.subarray(rng.int(c.length))]);
    if (!bases.some((x) => eq(x, s))) must('splice', s);
  }
  for (let i = 0; i < 1000; i++) { // insert or delete a run of bytes
    const b = pick(), at = rng.int(b.length), n = 1 + rng.int(8);
    const s = rng.next() < 0.5
      ? new Uint8Array([...b.subarray(0, at), ...Array.from({ length: n }, () => rng.int(256)), ...b.subarray(at)])
      : new Uint8Array([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + n))]);
    must('insert/delete', s);
  }
  const lies: Array<(h: any, t: any) => void> = [
    (_h, t) => { t.length += 1 + rng.int(100); },
    (_h, t) => { t.length = Math.max(0, t.length - 1 - rng.int(t.length)); },
    (_h, t) => { t.offset += 1 + rng.int(50); },
    (_h, t) => { t.shape[rng.int(t.shape.length)] = [0, -1, 1.5, '3', null, 2 ** 40, 1e300][rng.int(7)]; },
    (_h, t) => { t.nnz = t.shape.reduce((a: number, b: number) => a * b, 1) + 1 + rng.int(9); },
    (_h, t) => { t.format = ['fp7', '', 3, null, 'MXFP4'][rng.int(5)]; },
    (_h, t) => { t.encoding = ['coo', 'CSR', 7, null][rng.int(4)]; },
    (_h, t) => { delete t[['name', 'shape', 'format', 'encoding', 'nnz', 'stored', 'offset', 'length'][rng.int(8)]!]; },
    (_h, t) => { t.name = ['', 42, null][rng.int(3)]; },
    (h, t) => { t.name = h.tensors[(h.tensors.indexOf(t) + 1) % h.tensors.length].name; },
    (h) => { h.meta = [1, 'x', [], null][rng.int(4)]; if (h.meta === null) h.meta = 0; },
    (h) => { h.tensors = [{}, 'x', 5][rng.int(3)]; },
    (_h, t) => { t.stored = t.encoding === 'gap4' || t.encoding === 'gap8' ? t.shape.reduce((a: number, b: number) => a * b, 1) + 1 : t.stored + 1; },
    // A dense tensor's payload size follows from its element count, so a grown shape is a lie.
    (h) => { const t = h.tensors.find((x: any) => x.encoding === 'dense'); t.shape = [...t.shape, 2]; },
  ];
  for (let i = 0; i < 2000; i++) { // header lies with a correct checksum
    const li = rng.int(lies.length), lie = lies[li]!;
    try {
      must('header lie', withHeader(pick(), (h) => lie(h, h.tensors[rng.int(h.tensors.length)])));
    } catch (e) { throw new Error(`header lie #${li}: ${(e as Error).message}`); }
  }
  const sample = sampleModel(new Rng(100));
  for (let i = 0; i < 300; i++) { // payload structure lies with a correct checksum
    const b = bases[0]!.slice();
    const H = new DataView(b.buffer).getUint32(8, true);
    const h = JSON.parse(Buffer.from(b.subarray(12, 12 + H)).toString());
    const base = 12 + H;
    const pickT = (enc: string) => h.tensors.find((t: any) => t.encoding === enc);
    switch (i % 4) {
      case 0: { const t = pickT('csr'); const cols = t.shape[1]; const ri = t.shape[0] + 1; // colIdx after rowPtr (u8)
        if (t.nnz === 0) continue; b[base + t.offset + ri + rng.int(t.nnz)] = cols + rng.int(256 - cols); break; }
      case 1: { const t = pickT('csr'); b[base + t.offset + 1 + rng.int(t.shape[0])] = 255; break; }
      case 2: { const t = pickT('2:4'); const k = base + t.offset + rng.int(Math.ceil(t.shape[0] * t.shape[1] / 8)); b[k] = 0xff; break; }
      case 3: { const t = pickT('bitmask'); b[base + t.offset + rng.int(t.shape[0] * Math.ceil(t.shape[1] / 8))]! ^= 1 << rng.int(8); break; }
    }
    must('payload lie', fixCrc(b));
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.ok(total >= 10_000, `only ${total} cases: ${JSON.stringify(counts)}`);
  assert.ok(sample.tensors.length > 0);

  // Robustness: arbitrary payload mutations WITH a fixed checksum may load (the bytes are legal) or
  // fail, but only ever as a UserError, and a loaded file always decodes.
  let loaded = 0;
  for (let i = 0; i < 2000; i++) {
    const b = pick().slice();
    const H = new DataView(b.buffer).getUint32(8, true);
    for (let j = 0; j < 1 + rng.int(3); j++) b[12 + H + rng.int(b.length - 16 - H)]! ^= 1 + rng.int(255);
    try {
      const mf = parseModelFile(fixCrc(b), 'x');
      for (const t of mf.tensors) decodeTensor(t);
      loaded++;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
  }
  assert.ok(loaded > 0);
});

test('saveModelFile is atomic-by-rename and rejects bad input as UserErrors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-mf-'));
  try {
    const { tensors } = sampleModel(new Rng(3));
    const path = join(dir, 'x.winnow');
    writeFileSync(path, 'old');
    saveModelFile(path, tensors, { a: 1 });
    assert.equal(parseModelFile(readFileSync(path), path).meta.a, 1);
    assert.throws(() => serializeModelFile([tensors[0]!, tensors[0]!]), /duplicate/);
    assert.throws(() => serializeModelFile(tensors, { big: 10n } as any), UserError);
    assert.throws(() => serializeModelFile([{ ...tensors[0]!, payload: tensors[0]!.payload.subarray(1) }]), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
