// winnow export: PyTorch-trained weights imported, pruned to 5% by the lottery, exported to ONNX, run in
// onnxruntime-node (matching winnow within 1e-5); safetensors exports read back by import-weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadDataset } from '../../src/data/registry.js';
import { loadModel, predictRows } from '../../src/io/model-io.js';
import { density } from '../../src/models/state.js';
import { loadOrt, ortSession } from '../../bench/ort.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/pytorch-import/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<string, { logits: number[][] }>;
const ort = await loadOrt();
const data = loadDataset('fashion-mnist-mini');
const x16 = data.test.images.subarray(0, 16 * 784);

function winnow(d: string, args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: d, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

test('PyTorch conv weights → winnow → ONNX: onnxruntime-node gives PyTorch\'s logits within 1e-5', { skip: ort.ok ? false : ort.reason }, async () => {
  if (!ort.ok) return;
  const d = mkdtempSync(join(tmpdir(), 'winnow-export-'));
  winnow(d, ['import-weights', join(fixtures, 'conv.safetensors'), '--model', 'conv:4-pool/16', '--out', 'conv.wnn']);
  winnow(d, ['export', 'conv.wnn', '--to', 'onnx']);
  const s = await ortSession(ort.ort, ort.version, readFileSync(join(d, 'conv.onnx')));
  const got = s.runSync(x16, 16, 784);
  await s.dispose();
  assert.ok(worst(got, expected['conv']!.logits.flat()) < 1e-5);
});

test('PyTorch MLP → import → lottery to 5% → export the ticket to ONNX: onnxruntime-node matches winnow within 1e-5', { skip: ort.ok ? false : ort.reason }, async () => {
  if (!ort.ok) return;
  const d = mkdtempSync(join(tmpdir(), 'winnow-export-'));
  winnow(d, ['import-weights', join(fixtures, 'mlp.safetensors'), '--model', 'mlp:784-16-10', '--out', 'mlp.wnn']);
  const lot = JSON.parse(winnow(d, ['lottery', '--model', 'mlp:784-16-10', '--init-from', 'mlp.wnn', '--one-shot', '0.05', '--iterations', '120', '--eval-every', '60', '--controls', 'reinit', '--json', '--store', 'runs'])) as { runId: string };
  const ticket = `runs/${lot.runId}:level=1`;
  winnow(d, ['compress', ticket, '--format', 'fp32', '--out', 'ticket.wnn', '--store', 'runs']);
  winnow(d, ['export', ticket, '--to', 'onnx', '--out', 'ticket.onnx', '--store', 'runs']);
  const model = loadModel(join(d, 'ticket.wnn')).model;
  assert.ok(Math.abs(density(model) - 0.05) < 0.002, `density ${density(model)}`);
  const mine = predictRows(referenceBackend, model, x16, 16);
  const s = await ortSession(ort.ort, ort.version, readFileSync(join(d, 'ticket.onnx')));
  const got = s.runSync(x16, 16, 784);
  await s.dispose();
  assert.ok(worst(got, mine) < 1e-5, `max |difference| ${worst(got, mine)}`);
});

test('export --to safetensors writes a state dict that import-weights reads back bit-identically', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-export-'));
  winnow(d, ['import-weights', join(fixtures, 'conv.safetensors'), '--model', 'conv:4-pool/16', '--out', 'a.wnn']);
  winnow(d, ['export', 'a.wnn', '--to', 'safetensors', '--out', 'a.safetensors']);
  winnow(d, ['import-weights', 'a.safetensors', '--model', 'conv:4-pool/16', '--out', 'b.wnn']);
  const a = loadModel(join(d, 'a.wnn')).model.weightLayers(), b = loadModel(join(d, 'b.wnn')).model.weightLayers();
  a.forEach((l, i) => { assert.deepEqual(b[i]!.weights.toDense(), l.weights.toDense()); assert.deepEqual(b[i]!.bias, l.bias); });
});
