// One error path for file-system failures: a full disk, a read-only file system, a missing permission
// or a directory where a file was expected becomes one UserError line naming the path and what to do,
// never a stack trace. Anything unexpected is passed through unchanged.
import { UserError } from './errors.js';

const ADVICE: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space or write elsewhere',
  EDQUOT: 'disk quota exceeded; free some space or write elsewhere',
  EACCES: 'permission denied; check the permissions or choose another path',
  EPERM: 'operation not permitted; check the permissions or choose another path',
  EROFS: 'read-only file system; choose a writable location',
  EISDIR: 'is a directory; give a file path (e.g. DIR/model.wnn)',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the path is too long',
  EEXIST: 'already exists',
  EIO: 'input/output error from the device',
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errno errors fsUserError turns into one line. */
export function isFsError(e: unknown): boolean {
  const code = errnoCode(e);
  return code !== undefined && code in ADVICE;
}

/**
 * A UserError "cannot <action> <path>: <advice> (<CODE>)" for a known file-system errno, else `e` itself.
 * `action` is a verb phrase: 'write', 'create directory', 'read'.
 */
export function fsUserError(e: unknown, path: string, action: string): unknown {
  if (e instanceof UserError) return e;
  const code = errnoCode(e);
  if (code === undefined || !(code in ADVICE)) return e;
  return new UserError(`cannot ${action} ${path}: ${ADVICE[code]} (${code})`);
}
