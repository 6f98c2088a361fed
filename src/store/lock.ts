// One process per run (and per NEAT output folder): a lock file holding the owner's pid. A second
// process refuses with a message naming the owner; a lock left by a killed process is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pidAlive } from '../util/atomic.js';
import { UserError } from '../util/errors.js';


/** Takes the lock at `path` (creating its directory) or throws a UserError; returns the release function. */
export function acquireLock(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`${path}: cannot create the lock file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      let owner = NaN, since = '?';
      try {
        const o = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; since?: unknown };
        owner = Number(o.pid); since = String(o.since);
      } catch { /* a lock being written or damaged: treated as stale below only if unreadable twice */ }
      if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) {
        throw new UserError(`${what} is in use by winnow process ${owner} (since ${since}); wait for it to finish or stop it (lock file ${path})`);
      }
      rmSync(path, { force: true }); // stale: its owner is gone
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
    closeSync(fd);
    const release = (): void => {
      process.off('exit', release);
      try {
        const o = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
        if (o.pid === process.pid) rmSync(path, { force: true });
      } catch { /* already gone */ }
    };
    process.on('exit', release);
    return release;
  }
  throw new UserError(`${path}: could not take the lock for ${what}; remove the file if no winnow process is running`);
}
