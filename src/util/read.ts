// Reading a file the user named: any failure becomes one UserError that says which file (or flag)
// and why ("no such file", EACCES, EISDIR…), never a stack trace.
import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file, ENOENT' : code ?? (e instanceof Error ? e.message : String(e));
}

/** The file's bytes; `what` names it in the error (e.g. "config file x.json", "--input x.json"). */
export function readUserFile(path: string, what = path): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`${what}: cannot read (${reason(e)})`);
  }
}

/** The file as UTF-8 text, parsed as JSON; errors name `what`. */
export function readUserJson(path: string, what = path): unknown {
  const text = readUserFile(path, what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}
