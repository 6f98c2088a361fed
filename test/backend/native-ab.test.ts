// bench/native-ab: builds of the addon timed side by side, their results compared bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAddonPath } from '../../src/backend/native.js';

const script = fileURLToPath(new URL('../../bench/native-ab.js', import.meta.url));
const ab = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 });

test('bench/native-ab: a build against a copy of itself gives identical results and a time for each', () => {
  const resolved = nativeAddonPath();
  assert.ok('path' in resolved, 'no addon path');
  const dir = mkdtempSync(join(tmpdir(), 'winnow-ab-'));
  try {
    const copy = join(dir, 'copy.node');
    copyFileSync(resolved.path, copy);
    const r = ab([resolved.path, copy, '--samples', '2', '--density', '0.05', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { identical: boolean; nnz: number; builds: Array<{ addon: string; spmm: number; backward: number; step: number }> };
    assert.equal(out.identical, true);
    assert.ok(out.nnz > 0.04 * 300 * 784 && out.nnz < 0.06 * 300 * 784, `nnz ${out.nnz}`);
    assert.deepEqual(out.builds.map((b) => b.addon), [resolved.path, copy]);
    for (const b of out.builds) for (const t of [b.spmm, b.backward, b.step]) assert.ok(Number.isFinite(t) && t > 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bench/native-ab: a missing addon file or a single build is a one-line error, exit 2', () => {
  const missing = ab(['/no/such/a.node', '/no/such/b.node']);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr.trim(), 'bench/native-ab: /no/such/a.node not found');
  const one = ab(['/no/such/a.node']);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /^bench\/native-ab: needs two or more addon files/);
});
