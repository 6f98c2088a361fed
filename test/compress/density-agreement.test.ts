// compress and infer agree on density: both count the weights still nonzero after quantization (a kept
// weight that rounds to 0 is dropped at load), and compress also states the mask's "kept" fraction.
// Before this, compress said 100% for a file infer reported at 93.3%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../test/fixtures/pytorch-import/', import.meta.url));
function winnow(cwd: string, args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a dense model quantized to int4: compress reports the density infer reports, beside the 100% kept', () => {
  const d = mkdtempSync(join(tmpdir(), 'winnow-density-'));
  try {
    winnow(d, ['import-weights', join(fixtures, 'mlp.safetensors'), '--model', 'mlp:784-16-10', '--out', 'mlp.wnn']);
    const c = JSON.parse(winnow(d, ['compress', 'mlp.wnn', '--format', 'int4-channel', '--out', 'q.wnn', '--json'])) as {
      weights: { numel: number; nnz: number; density: number; nonzeroAfterQuantization: number; densityAfterQuantization: number };
      layers: Array<{ name: string; density: number }>;
    };
    const inf = JSON.parse(winnow(d, ['infer', 'q.wnn', '--json'])) as { layers: Array<{ name: string; density: number }> };
    assert.equal(c.weights.density, 1); // the mask keeps everything
    assert.ok(c.weights.densityAfterQuantization < 0.95, `${c.weights.densityAfterQuantization}: int4 rounds small weights to 0`);
    assert.deepEqual(c.layers.map((l) => [l.name, l.density]), inf.layers.map((l) => [l.name, l.density]));
    const shapes: Record<string, number> = { fc1: 16 * 784, out: 10 * 16 };
    const nz = inf.layers.reduce((a, l) => a + Math.round(l.density * shapes[l.name]!), 0);
    assert.equal(c.weights.nonzeroAfterQuantization, nz);
    const text = winnow(d, ['compress', 'mlp.wnn', '--format', 'int4-channel', '--out', 'q2.wnn']);
    const fc1 = inf.layers.find((l) => l.name === 'fc1')!.density;
    assert.match(text, new RegExp(`fc1\\.weight\\s+16×784\\s+100\\.00%\\s+${(100 * fc1).toFixed(2).replace('.', '\\.')}%`));
    assert.match(text, /nonzero after quantization \(density \d+\.\d\d%, as winnow infer counts\)/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
