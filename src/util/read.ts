// Reading a file the user named: any failure becomes one UserError that says which file (or flag)
// and why ("no such file", EACCES, EISDIR…), never a stack trace. Only regular files are read
// (/dev/zero, a FIFO or a directory is refused before reading), and never more than a stated size
// limit (default DEFAULT_MAX_READ_BYTES; see docs/LIMITS.md), so a reader cannot hang or exhaust memory.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from './errors.js';

/** Largest file readUserFile reads unless told otherwise: 2 GiB (a Buffer's practical limit). */
export const DEFAULT_MAX_READ_BYTES = 2 ** 31 - 1;
/** Largest JSON file readUserJson reads unless told otherwise: 256 MiB. */
export const DEFAULT_MAX_JSON_BYTES = 256 * 2 ** 20;

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file, ENOENT' : code ?? (e instanceof Error ? e.message : String(e));
}

export interface ReadOptions {
  /** Refuse files larger than this many bytes (default DEFAULT_MAX_READ_BYTES). */
  maxBytes?: number;
}

/** The file's bytes; `what` names it in the error (e.g. "config file x.json", "--input x.json"). */
export function readUserFile(path: string, what = path, opts: ReadOptions = {}): Buffer {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new UserError(`${what}: cannot read (${reason(e)})`);
  }
  try {
    let st;
    try { st = fstatSync(fd); } catch (e) { throw new UserError(`${what}: cannot read (${reason(e)})`); }
    if (st.isDirectory()) throw new UserError(`${what}: cannot read (EISDIR: it is a directory, expected a file)`);
    if (!st.isFile()) throw new UserError(`${what}: cannot read (not a regular file: devices, pipes and sockets are refused)`);
    if (st.size > maxBytes) throw new UserError(`${what}: ${st.size} bytes exceeds the limit of ${maxBytes} bytes for this file (see docs/LIMITS.md)`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    try {
      while (off < st.size) {
        const n = readSync(fd, buf, off, st.size - off, off);
        if (n === 0) break;
        off += n;
      }
    } catch (e) {
      throw new UserError(`${what}: cannot read (${reason(e)})`);
    }
    return off === st.size ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** The file as UTF-8 text, parsed as JSON; errors name `what`. */
export function readUserJson(path: string, what = path, opts: ReadOptions = {}): unknown {
  const text = readUserFile(path, what, { maxBytes: opts.maxBytes ?? DEFAULT_MAX_JSON_BYTES }).toString('utf8');
  return parseUserJson(text, what);
}

/** Parses JSON text; errors name `what`. */
export function parseUserJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}
