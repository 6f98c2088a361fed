// Atomic file writes: write to a temporary file in the same directory, fsync, then rename over
// the target, so a reader (or a resumed run after SIGKILL) never sees a half-written file.
//
// Failures (ENOSPC, EACCES, EISDIR, EROFS, …) become one UserError line naming the path
// (src/util/fs-errors.ts), and the temporary file is removed on every error path. A process killed
// mid-write leaves `.<name>.<pid>.tmp` behind; the first atomic write into a directory sweeps such files
// whose pid is no longer alive, so the space they hold comes back.
import { threadId } from 'node:worker_threads';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { fsUserError, errnoCode } from './fs-errors.js';

// `.<name>.<pid>.tmp`, or `.<name>.<pid>-<thread>.tmp` from a worker thread (threads of one process may
// write the same file at once: the same bytes, each through its own temporary file).
const TMP_RE = /^\..+\.(\d+)(?:-\d+)?\.tmp$/;
const swept = new Set<string>();

/** The temporary name a write of `path` by process `pid` uses. */
export function tempPathFor(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.${pid}${threadId ? `-${threadId}` : ''}.tmp`);
}

/** Whether a process with this id exists (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/**
 * Removes `.<name>.<pid>.tmp` files in `dir` left by processes that no longer run. Returns the paths
 * removed. Never throws: a sweep that cannot read the directory simply removes nothing.
 */
export function sweepStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try { names = readdirSync(dir); } catch { return removed; }
  for (const name of names) {
    const m = TMP_RE.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      unlinkSync(p);
      removed.push(p);
    } catch { /* raced with another sweeper, or not ours to remove */ }
  }
  return removed;
}

function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw fsUserError(e, dir, 'create directory');
  }
  if (!swept.has(dir)) { swept.add(dir); sweepStaleTemps(dir); }
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw fsUserError(e, path, 'write');
  }
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw fsUserError(e, path, 'write');
  }
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw fsUserError(e, path, 'write');
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
