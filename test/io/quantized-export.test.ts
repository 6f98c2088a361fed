// Exports that keep the quantized size: a model file → safetensors with its stored codes, scales and sparse
// indices as separate tensors (read back by an independent reader written here from the convention in
// docs/FORMATS.md §17, and by the library), and int8/int4 model files → ONNX with DequantizeLinear, run in
// onnxruntime-node. Sizes are compared with the .wnn file and with the float32 ONNX export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadDataset } from '../../src/data/registry.js';
import { loadModel, predictRows } from '../../src/io/model-io.js';
import { loadModelFile } from '../../src/io/modelfile.js';
import { exportOnnx, quantizedWeightOf, type QuantizedWeight } from '../../src/io/onnx.js';
import { parseQuantizedSafetensors, serializeQuantizedSafetensors } from '../../src/io/quantized-safetensors.js';
import { serializeRawSafetensors } from '../../src/io/safetensors.js';
import { FORMAT_NAMES } from '../../src/quant/formats.js';
import { ENCODING_NAMES, decodeTensor, encodeTensor, inapplicable, maskStats, prune24, type EncodedTensor } from '../../src/sparse/encodings.js';
import { FORMATS } from '../../src/quant/formats.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { loadOrt, ortSession } from '../../bench/ort.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ort = await loadOrt();
const x16 = loadDataset('fashion-mnist-mini').test.images.subarray(0, 16 * 784);

function winnow(d: string, args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: d, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** A pruned random matrix on an awkward shape (row length not a multiple of any block). */
function sparseMatrix(seed: number, rows: number, cols: number, density: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => (rng.next() < density ? rng.normal() * 0.3 : 0));
}

test('every format × encoding: quantized safetensors holds exactly the stored bytes and reads back bit-identical', () => {
  const shape: [number, number] = [9, 36];
  const base = sparseMatrix(3, 9, 36, 0.3);
  const is24 = prune24(base, shape);
  let n = 0;
  for (const format of FORMAT_NAMES) {
    for (const encoding of ENCODING_NAMES) {
      const values = encoding === '2:4' ? is24 : base;
      if (inapplicable(encoding, maskStats(values, shape), FORMATS[format])) continue;
      const tensors: EncodedTensor[] = [
        encodeTensor('fc1.weight', values, shape, format, encoding),
        encodeTensor('fc1.bias', Float32Array.from({ length: 9 }, (_, i) => i / 7), [9], 'fp32', 'dense'),
      ];
      const bytes = serializeQuantizedSafetensors({ tensors, meta: { spec: 'x' } });
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(bytes.length - 8 - headerLen, tensors.reduce((a, t) => a + t.payload.length, 0), `${format}/${encoding}: data = payload bytes`);
      const back = parseQuantizedSafetensors(bytes, 'x.safetensors');
      assert.deepEqual(back.meta, { spec: 'x' });
      back.tensors.forEach((t, i) => {
        assert.deepEqual(t.payload, tensors[i]!.payload, `${format}/${encoding} ${t.name}`);
        assert.ok(sameBits(decodeTensor(t), decodeTensor(tensors[i]!)));
      });
      n++;
    }
  }
  assert.ok(n > 100, `${n} combinations`);
});

// ---- an independent reader: struct-level parsing and the standard dtypes, nothing from src/ ----
interface Entry { dtype: string; shape: number[]; bytes: Uint8Array }
function readSafetensors(b: Uint8Array): { tensors: Map<string, Entry>; meta: Record<string, string> } {
  const n = Number(Buffer.from(b.buffer, b.byteOffset, 8).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const meta = (header['__metadata__'] ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, Entry>();
  for (const [k, v] of Object.entries(header)) {
    if (k !== '__metadata__') tensors.set(k, { dtype: v.dtype, shape: v.shape, bytes: b.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]) });
  }
  return { tensors, meta };
}
const FP4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
const fp4 = (nib: number): number => (nib & 8 ? -1 : 1) * FP4[nib & 7]!;
/** OCP E4M3FN: bias 7, no infinities, 0x7f/0xff NaN. */
function e4m3(b: number): number {
  const s = b & 0x80 ? -1 : 1, e = (b >> 3) & 15, m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return s * (e === 0 ? (m / 8) * 2 ** -6 : (1 + m / 8) * 2 ** (e - 7));
}
const f32 = (e: Entry, i: number): number => Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).readFloatLE(4 * i);
const uint = (e: Entry, i: number): number => {
  const w = e.dtype === 'U8' ? 1 : e.dtype === 'U16' ? 2 : 4;
  return Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).readUIntLE(w * i, w);
};

/** NVFP4 (dense, csr, bitmask or gap4) as a PyTorch user would decode it: code × scale[block of 16] × scale_2. */
function decodeNvfp4(t: Map<string, Entry>, meta: Record<string, string>, name: string, rows: number, cols: number): Float32Array {
  const stored = (JSON.parse(meta['winnow.tensors']!) as Record<string, [string, string, number[], number, number]>)[name]![4];
  const codes = t.get(name)!, scale = t.get(`${name}_scale`)!, scale2 = f32(t.get(`${name}_scale_2`)!, 0);
  assert.equal(scale.dtype, 'F8_E4M3');
  const vals = Float32Array.from({ length: stored }, (_, i) => Math.fround(Math.fround(fp4((codes.bytes[i >> 1]! >> (4 * (i & 1))) & 15) * e4m3(scale.bytes[i >> 4]!)) * scale2));
  const out = new Float32Array(rows * cols);
  const bitmask = t.get(`${name}_bitmask`);
  if (bitmask) { // rows × ceil(cols/8) bytes, LSB-first: the k-th set bit takes the k-th stored value
    let k = 0;
    for (let i = 0; i < rows * cols; i++) {
      const r = Math.floor(i / cols), c = i % cols;
      if ((bitmask.bytes[r * Math.ceil(cols / 8) + (c >> 3)]! >> (c & 7)) & 1) out[i] = vals[k++]!;
    }
    return out;
  }
  const gaps = t.get(`${name}_gaps`);
  if (gaps) { // gap4: entry k sits gap_k + 1 after the previous one (fillers carry 0); two gaps per byte, low nibble first
    let p = -1;
    for (let k = 0; k < stored; k++) {
      p += ((gaps.bytes[k >> 1]! >> (4 * (k & 1))) & 15) + 1;
      if (p < rows * cols) out[p] = vals[k]!;
    }
    return out;
  }
  const crow = t.get(`${name}_crow_indices`);
  if (!crow) { out.set(vals.subarray(0, rows * cols)); return out; }
  const col = t.get(`${name}_col_indices`)!;
  for (let r = 0; r < rows; r++) for (let k = uint(crow, r); k < uint(crow, r + 1); k++) out[r * cols + uint(col, k)] = vals[k]!;
  return out;
}

test('independent reader: NVFP4 (dense and csr) and FP8 codes + scales reproduce winnow\'s dequantized weights exactly', () => {
  const values = sparseMatrix(5, 12, 40, 0.25);
  for (const encoding of ['dense', 'csr'] as const) {
    const t = encodeTensor('fc.weight', values, [12, 40], 'nvfp4', encoding);
    const { tensors, meta } = readSafetensors(serializeQuantizedSafetensors({ tensors: [t], meta: {} }));
    // F4 when the stored count is even, else packed U8 bytes (same bytes either way).
    assert.match(tensors.get('fc.weight')!.dtype, encoding === 'dense' ? /^F4$/ : /^(F4|U8)$/);
    assert.match(meta['winnow.layout']!, /winnow-quantized\/1/);
    assert.ok(sameBits(decodeNvfp4(tensors, meta, 'fc.weight', 12, 40), decodeTensor(t)), encoding);
  }
  const t8 = encodeTensor('w', values, [12, 40], 'fp8-e4m3', 'dense');
  const r8 = readSafetensors(serializeQuantizedSafetensors({ tensors: [t8], meta: {} })).tensors;
  assert.equal(r8.get('w')!.dtype, 'F8_E4M3');
  const s = f32(r8.get('w_scale')!, 0);
  assert.ok(sameBits(Float32Array.from(r8.get('w')!.bytes, (b) => e4m3(b) * s), decodeTensor(t8)));
});

test('malformed quantized safetensors are UserErrors naming the tensor', () => {
  const t = encodeTensor('fc.weight', sparseMatrix(7, 4, 16, 0.5), [4, 16], 'nvfp4', 'csr');
  const good = serializeQuantizedSafetensors({ tensors: [t], meta: {} });
  const r = readSafetensors(good);
  const without = [...r.tensors].filter(([k]) => k !== 'fc.weight_scale_2').map(([name, e]) => ({ name, dtype: e.dtype as 'U8', shape: e.shape, bytes: e.bytes }));
  const bad = serializeRawSafetensors(without, r.meta);
  assert.throws(() => parseQuantizedSafetensors(bad, 'q.st'), (e: unknown) => e instanceof UserError && /q\.st: tensor 'fc\.weight_scale_2': missing/.test((e as Error).message));
  assert.throws(() => parseQuantizedSafetensors(serializeRawSafetensors([], {}), 'p.st'), (e: unknown) => e instanceof UserError && /not a quantized winnow export/.test((e as Error).message));
});

test('an NVFP4 lottery ticket exported to safetensors is within 10% of its .wnn size and reads back exactly', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-qexport-'));
  const lot = JSON.parse(winnow(d, ['lottery', '--model', 'lenet300', '--one-shot', '0.2', '--iterations', '60', '--eval-every', '60', '--controls', 'reinit', '--json', '--store', 'runs'])) as { runId: string };
  winnow(d, ['compress', `${lot.runId}:level=1`, '--format', 'nvfp4', '--out', 'ticket.wnn', '--store', 'runs']);
  const r = JSON.parse(winnow(d, ['export', 'ticket.wnn', '--to', 'safetensors', '--json'])) as { bytes: number; weights: string };
  const wnn = statSync(join(d, 'ticket.wnn')).size;
  assert.equal(r.weights, 'quantized');
  assert.ok(r.bytes <= 1.1 * wnn, `safetensors ${r.bytes} B vs .wnn ${wnn} B`);
  const file = loadModelFile(join(d, 'ticket.wnn'));
  const st = readSafetensors(readFileSync(join(d, 'ticket.safetensors')));
  for (const t of file.tensors.filter((x) => x.format === 'nvfp4')) {
    assert.ok(['dense', 'csr', 'bitmask', 'gap4'].includes(t.encoding), `${t.name}: ${t.encoding}`);
    assert.ok(sameBits(decodeNvfp4(st.tensors, st.meta, t.name, t.shape[0]!, t.shape[1]!), decodeTensor(t)), t.name);
  }
});

test('int4 ONNX export: under 20% of the float32 ONNX file; DequantizeLinear rebuilds winnow\'s weights bit for bit; logits match', { skip: ort.ok ? false : ort.reason }, async () => {
  if (!ort.ok) return;
  const d = mkdtempSync(join(tmpdir(), 'winnow-qexport-'));
  const fixtures = fileURLToPath(new URL('../../../test/fixtures/pytorch-import/', import.meta.url));
  winnow(d, ['import-weights', join(fixtures, 'mlp.safetensors'), '--model', 'mlp:784-16-10', '--out', 'mlp.wnn']);
  winnow(d, ['export', 'mlp.wnn', '--to', 'onnx', '--out', 'fp32.onnx']);
  const fp32 = statSync(join(d, 'fp32.onnx')).size;
  const cases: Array<[string, string[]]> = [
    ['int4-channel', []], ['int4-group-asym', ['--encoding', 'dense']], ['int8-channel-asym', []],
  ];
  const check = async (name: string): Promise<number> => {
    const r = JSON.parse(winnow(d, ['export', `${name}.wnn`, '--to', 'onnx', '--json'])) as { bytes: number; weights: string; notes: string[] };
    assert.equal(r.weights, 'quantized', name);
    assert.deepEqual(r.notes, []);
    const model = loadModel(join(d, `${name}.wnn`)).model;
    const mine = predictRows(referenceBackend, model, x16, 16);
    const s = await ortSession(ort.ort, ort.version, readFileSync(join(d, `${name}.onnx`)));
    const got = s.runSync(x16, 16, 784);
    await s.dispose();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - mine[i]!));
    assert.ok(worst < 2e-5, `${name}: max |difference| ${worst}`);
    // The dequantized weights themselves, exposed as graph outputs: bit-identical to winnow's.
    const file = loadModelFile(join(d, `${name}.wnn`));
    const q = new Map<string, QuantizedWeight>();
    for (const t of file.tensors) { const w = quantizedWeightOf(t); if (typeof w !== 'string') q.set(t.name, w); }
    const probe = await ort.ort.InferenceSession.create(exportOnnx(model, { quantized: q, exposeWeights: true }));
    const out = await probe.run({ input: new ort.ort.Tensor('float32', new Float32Array(784), [1, 784]) });
    for (const t of file.tensors.filter((x) => x.name.endsWith('.weight'))) assert.ok(sameBits(out[t.name]!.data as Float32Array, decodeTensor(t)), `${name} ${t.name}`);
    await probe.release();
    return r.bytes;
  };
  for (const [format, extra] of cases) {
    winnow(d, ['compress', 'mlp.wnn', '--format', format, ...extra, '--out', `${format}.wnn`]);
    const bytes = await check(format);
    if (format.startsWith('int4')) assert.ok(bytes < 0.2 * fp32, `${format}: ${bytes} B vs float32 ${fp32} B`);
  }
  // A conv network: [out, in, k, k] initializers; conv1 (≤ 128 weights) is a single group, per-tensor in ONNX.
  winnow(d, ['import-weights', join(fixtures, 'conv.safetensors'), '--model', 'conv:4-pool/16', '--out', 'conv.wnn']);
  winnow(d, ['compress', 'conv.wnn', '--format', 'int4-group-asym', '--encoding', 'dense', '--out', 'conv-int4.wnn']);
  await check('conv-int4');
  // Formats without an ONNX integer form are exported dequantized, and the report says why.
  winnow(d, ['compress', 'mlp.wnn', '--format', 'int4-group', '--encoding', 'csr', '--out', 'g.wnn']);
  const g = JSON.parse(winnow(d, ['export', 'g.wnn', '--to', 'onnx', '--json'])) as { weights: string; notes: string[] };
  assert.equal(g.weights, 'float32');
  assert.match(g.notes[0]!, /fc1\.weight: exported as float32: .*--encoding dense/);
});
