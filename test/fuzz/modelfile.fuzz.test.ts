// Fuzz: winnow model files (.wnn) through parseModelFile and modelFromFile (the whole load path of
// infer and compress). Mutations: bytes (with the CRC fixed up half the time, so the header parser is
// reached) and the header's JSON (meta.spec, shapes, offsets…), re-framed with a valid CRC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzz, mutatedBytes, mutateJson, jsonMutation, RUNS } from './harness.js';
import { buildModel } from '../../src/models/build.js';
import { Rng } from '../../src/util/rng.js';
import { modelFromFile, predictRows, serializeModel } from '../../src/io/model-io.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { parseModelFile } from '../../src/io/modelfile.js';
import { crc32 } from '../../src/io/crc32.js';
import type { FormatName } from '../../src/quant/formats.js';
import type { EncodingName } from '../../src/sparse/encodings.js';

function seedFile(spec: string, shape: [number, number, number], classes: number, format: FormatName, encoding: EncodingName | 'auto', density = 1, prune24 = false): Uint8Array {
  const model = buildModel(spec, shape, classes, new Rng(7));
  if (density < 1) for (const l of model.weightLayers()) { const m = new Uint8Array(l.weights.rows * l.weights.cols); for (let i = 0; i < m.length; i += Math.round(1 / density)) m[i] = 1; l.setWeights(l.weights.toDense(), m); }
  return serializeModel(model, { spec, inputShape: shape, classes, dataset: 'synthetic:blobs' }, { format, encoding, prune24 }).file;
}

const seeds = [
  seedFile('mlp:8-4-3', [1, 2, 4], 3, 'fp32', 'dense'),
  seedFile('mlp:8-6-3', [1, 2, 4], 3, 'int8-group', 'csr', 0.3),
  seedFile('mlp:8-4-4-3', [1, 2, 4], 3, 'nvfp4', 'auto', 0.5),
  seedFile('conv:2-pool/4', [1, 4, 4], 3, 'fp16', 'bitmask', 0.5),
  seedFile('mlp:16-8-2', [1, 4, 4], 2, 'fp32', '2:4', 1, true),
];

/** Re-frames a model file around a new header JSON, with a correct header length and CRC. */
function reframe(header: unknown, payload: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header) ?? 'null');
  const out = new Uint8Array(12 + h.length + payload.length + 4);
  out.set(seeds[0]!.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, 12);
  out.set(payload, 12 + h.length);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}
function split(file: Uint8Array): { header: unknown; payload: Uint8Array } {
  const h = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + h))), payload: file.subarray(12 + h, file.length - 4) };
}
function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length >= 16) new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

const parts = seeds.map(split);
const arb = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(mutatedBytes(seeds), fc.boolean()).map(([b, fix]) => (fix ? fixCrc(b) : b)) },
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
    .map(([i, muts]) => reframe(mutateJson(parts[i]!.header, muts), parts[i]!.payload)) },
);

test(`model files: ${RUNS} mutated files load or fail with a UserError, each quickly and in bounded memory`, { timeout: 120_000 }, () => {
  for (const s of seeds) modelFromFile(parseModelFile(s, 'seed'), 'seed'); // the seeds are valid
  // An accepted file must also run: two samples through the network.
  const stats = fuzz(arb, (bytes) => {
    const { model } = modelFromFile(parseModelFile(bytes, 'fuzz.wnn'), 'fuzz.wnn');
    predictRows(referenceBackend, model, new Float32Array(2 * model.inFeatures).fill(0.5), 2);
  });
  assert.equal(stats.cases, RUNS);
  assert.ok(stats.refused > RUNS / 2, JSON.stringify(stats));
  console.log(`model files: ${JSON.stringify(stats)}`);
});
