// PyTorch weights (fixtures written by bench/pytorch_export_weights.py with torch) imported into winnow
// networks: the logits match PyTorch's, by name or by order; mismatches are one-line errors; the
// imported file initializes a lottery run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadDataset } from '../../src/data/registry.js';
import { importStateDict } from '../../src/io/import-weights.js';
import { loadModel, predictRows } from '../../src/io/model-io.js';
import { importSafetensors, type SafetensorsFile } from '../../src/io/safetensors.js';
import { buildModel } from '../../src/models/build.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { loadModelState } from '../../src/lottery/state-io.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/pytorch-import/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<string, { spec: string; testAccuracy: number; logits: number[][] }>;
const data = loadDataset('fashion-mnist-mini');

function maxDiff(name: string, st: SafetensorsFile): number {
  const e = expected[name]!;
  const model = buildModel(e.spec, data.shape, data.classes, new Rng(9));
  importStateDict(model, st, name);
  const logits = predictRows(referenceBackend, model, data.test.images.subarray(0, 16 * 784), 16);
  let d = 0;
  for (let i = 0; i < 16; i++) for (let c = 0; c < 10; c++) d = Math.max(d, Math.abs(logits[i * 10 + c]! - e.logits[i]![c]!));
  return d;
}

for (const name of ['mlp', 'conv']) {
  test(`${name}: PyTorch's weights give PyTorch's logits (within 1e-5)`, () => {
    const d = maxDiff(name, importSafetensors(join(fixtures, `${name}.safetensors`)));
    assert.ok(d < 1e-5, `max |Δlogit| = ${d}`);
  });
}

test('tensors are matched in file order, else natural name order, when the names are not winnow layer names', () => {
  const st = importSafetensors(join(fixtures, 'conv.safetensors'));
  const renamed = (rename: Record<string, string>, reverse: boolean): SafetensorsFile => {
    const tensors = st.tensors.map((t) => ({ ...t, name: t.name.replace(/^(\w+)\./, (_, p: string) => `${rename[p]}.`) }));
    return { ...st, tensors: reverse ? tensors.reverse() : tensors };
  };
  // nn.Sequential-style names, in state-dict order ('features' sorts after 'classifier')
  assert.ok(maxDiff('conv', renamed({ conv1: 'features.0', fc1: 'classifier.2', out: 'classifier.10' }, false)) < 1e-5);
  // a writer that reorders the header: natural order of the names ('net.2' before 'net.10')
  assert.ok(maxDiff('conv', renamed({ conv1: 'net.0', fc1: 'net.2', out: 'net.10' }, true)) < 1e-5);
});

test('a file that does not fit the spec is refused with one line', () => {
  const st = importSafetensors(join(fixtures, 'mlp.safetensors'));
  const model = (spec: string) => buildModel(spec, data.shape, data.classes, new Rng(0));
  const refuse = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
  refuse(() => importStateDict(model('mlp:784-32-10'), st, 'f'), /f: tensor 'fc1\.weight' has shape \[16, 784\], layer fc1 of mlp:784-32-10 needs \[32, 784\]/);
  refuse(() => importStateDict(model('mlp:784-16-16-10'), st, 'f'), /the file has 2 weight tensors .* the model mlp:784-16-16-10 has 3 weight layers/);
  refuse(() => importStateDict(model('mlp:784-16-10'), { ...st, tensors: st.tensors.filter((t) => t.name !== 'out.bias') }, 'f'), /no tensor 'out\.bias'/);
  refuse(() => importStateDict(model('mlp:784-16-10'), { ...st, tensors: [...st.tensors, { name: 'bn.running_mean', shape: [16], data: new Float32Array(16) }] }, 'f'), /bn\.running_mean match no layer/);
});

test('winnow import-weights → lottery --init-from: θ0 is the imported network, pruned to 5% in one shot', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-import-'));
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: d, encoding: 'utf8' });
  const imp = run(['import-weights', join(fixtures, 'mlp.safetensors'), '--model', 'mlp:784-16-10', '--out', 'mlp.wnn', '--json']);
  assert.equal(imp.status, 0, imp.stderr);
  const report = JSON.parse(imp.stdout) as { testAccuracy: number };
  assert.ok(Math.abs(report.testAccuracy - expected['mlp']!.testAccuracy) < 1e-6);
  const lot = run(['lottery', '--model', 'mlp:784-16-10', '--init-from', 'mlp.wnn', '--one-shot', '0.05', '--iterations', '60', '--eval-every', '30', '--controls', 'reinit', '--json', '--store', 'runs']);
  assert.equal(lot.status, 0, lot.stderr);
  const out = JSON.parse(lot.stdout) as { runId: string; summary: Array<{ level: number; branch: string; density: { mean: number } }> };
  assert.ok(Math.abs(out.summary.find((s) => s.level === 1 && s.branch === 'ticket')!.density.mean - 0.05) < 0.002);
  const init = loadModelState(join(d, 'runs', out.runId, 'replicate_0', 'level_0', 'ticket', 'weights-init.wt'));
  const imported = loadModel(join(d, 'mlp.wnn')).model.weightLayers();
  for (const l of imported) assert.deepEqual(init[l.name]!.weight, l.weights.toDense());
  const wrong = run(['lottery', '--model', 'mlp:784-32-10', '--init-from', 'mlp.wnn', '--levels', '1', '--iterations', '30', '--eval-every', '30', '--store', 'runs']);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /--init-from mlp\.wnn: the file holds mlp:784-16-10 .* the run needs mlp:784-32-10/);
});
