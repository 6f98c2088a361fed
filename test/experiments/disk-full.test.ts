// A run whose store fills up mid-run stops with one line, leaves no temporary files, and — once space is
// freed — resumes to the result of a run that never ran out (a real tmpfs: needs root, as in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestOf, lotteryRecords } from './digest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const args = (store: string) => [cli, 'lottery', '--model', 'mlp:784-32-10', '--levels', '2', '--iterations', '100', '--eval-every', '50',
  '--store', store, '--no-report', '--progress', 'none', '--checkpoint-seconds', '0'];
const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));

test('ENOSPC mid-run: one line, no temporary files, identical result after space is freed', (t) => {
  if (process.getuid?.() !== 0) { t.skip('mounting a tmpfs needs root (CI runs as root)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'winnow-full-'));
  const small = join(dir, 'small');
  mkdirSync(small);
  try {
    const clean = spawnSync(process.execPath, args(join(dir, 'clean')), { encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stderr);
    // The whole run needs about 1.2 MB; 600 kB runs out partway through.
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', small]).status, 0, 'mount tmpfs');
    try {
      const store = join(small, 'store');
      const full = spawnSync(process.execPath, args(store), { encoding: 'utf8' });
      assert.equal(full.status, 2, full.stderr);
      const lines = full.stderr.trim().split('\n');
      assert.equal(lines.length, 1, full.stderr);
      assert.match(lines[0]!, /^winnow: .*(no space left|SQLITE_FULL|disk)/i);
      assert.deepEqual(files(small).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
      assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', small]).status, 0, 'free space');
      const resumed = spawnSync(process.execPath, args(store), { encoding: 'utf8' });
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.deepEqual(digestOf(lotteryRecords(store)), digestOf(lotteryRecords(join(dir, 'clean'))));
    } finally {
      spawnSync('umount', [small]);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
