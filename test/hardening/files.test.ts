// The file-system error path (src/util/fs-errors.ts, atomic.ts, read.ts): one-line UserErrors naming
// the path, refusal of non-regular files (FIFOs must not block), size limits before reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsUserError } from '../../src/util/fs-errors.js';
import { readUserFile, readUserJson } from '../../src/util/read.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-files-'));
const errno = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

test('fsUserError: known errnos become one line naming the path and what to do; others pass through', () => {
  for (const [code, re] of [['ENOSPC', /no space left.*free some space/], ['EACCES', /permission denied/], ['EROFS', /read-only file system/], ['EISDIR', /is a directory; give a file path/], ['EDQUOT', /quota/]] as const) {
    const e = fsUserError(errno(code), '/x/y.wnn', 'write');
    assert.ok(e instanceof UserError);
    assert.match(e.message, new RegExp(`^cannot write /x/y\\.wnn: .*\\(${code}\\)$`));
    assert.match(e.message, re);
  }
  const other = new TypeError('bug');
  assert.equal(fsUserError(other, '/x', 'write'), other);
});

test('readUserFile refuses directories, FIFOs (without blocking) and files over the limit', () => {
  assert.throws(() => readUserFile(dir, 'model'), /model: cannot read \(EISDIR/);
  const fifo = join(dir, 'fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    const t0 = performance.now();
    assert.throws(() => readUserFile(fifo), /not a regular file/);
    assert.ok(performance.now() - t0 < 1000);
  }
  const p = join(dir, 'big.json');
  writeFileSync(p, JSON.stringify({ a: 'x'.repeat(1000) }));
  assert.throws(() => readUserJson(p, 'config', { maxBytes: 100 }), /config: \d+ bytes exceeds the limit of 100 bytes/);
  assert.equal((readUserJson(p) as { a: string }).a.length, 1000);
  assert.throws(() => readUserFile(join(dir, 'nope')), /no such file, ENOENT/);
});

test('writeFileAtomic: a directory in the way or a file where a directory should be is one line, no temp left', () => {
  const d = join(dir, 'target');
  mkdirSync(d);
  assert.throws(() => writeFileAtomic(d, 'x'), (e: unknown) => e instanceof UserError && /cannot write .*target: is a directory/.test(e.message));
  const f = join(dir, 'afile');
  writeFileSync(f, '');
  assert.throws(() => writeFileAtomic(join(f, 'sub', 'x.json'), 'x'), (e: unknown) => e instanceof UserError && /cannot create directory .*afile\/sub: .*\((ENOTDIR|EEXIST)\)/.test(e.message));
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});
