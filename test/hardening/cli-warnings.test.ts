// The rest of the issue-15 reproductions, through the CLI: an absurd ticket level, `runs list` on a folder
// that holds no store (nothing created there), and the warnings — zero weights left, divergence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectOneLineError, runCli } from './helpers.js';

const blobs = ['--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200', '--model', 'mlp:8-12-3', '--backend', 'reference', '--progress', 'none'];

test('7. infer runs/<id>:level=99999999999999999999 is one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-level-'));
  try {
    expectOneLineError(['infer', `${join(dir, 'lottery_0123456789abcdef')}:level=99999999999999999999`, '--backend', 'reference'], /level must be a non-negative integer, got '99999999999999999999'/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('8. runs list --store DIR does not create a database in a folder that holds none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-nostore-'));
  try {
    expectOneLineError(['runs', 'list', '--store', dir], /no experiment store there \(no winnow\.db\)/);
    assert.deepEqual(readdirSync(dir), []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('8. warnings, not silence: a density that leaves layers without weights, a learning rate that diverges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-warn-'));
  try {
    const sparse = runCli(['train', ...blobs, '--iterations', '20', '--density', '1e-10', '--store', join(dir, 's1')]);
    assert.equal(sparse.status, 0, sparse.stderr);
    assert.match(sparse.stderr, /^winnow: warning: .*weights/m);
    const diverge = runCli(['train', ...blobs, '--iterations', '60', '--optimizer', 'sgd', '--lr', '100', '--store', join(dir, 's2')], { timeoutMs: 60_000 });
    assert.ok(diverge.status === 0 || diverge.status === 2, diverge.stderr);
    assert.match(diverge.stderr, /^winnow: (warning: )?.*(diverge|--lr)/m, diverge.stderr);
    assert.ok(existsSync(join(dir, 's2', 'winnow.db')));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
