// Where dataset files live: the search path for the full IDX datasets, the user cache directory,
// and the package root (for the embedded mini set, which must resolve the same from src/ and dist/).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The four standard MNIST-style file names, without the optional .gz suffix. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export type IdxRole = keyof typeof IDX_FILES;
export const IDX_ROLES = Object.keys(IDX_FILES) as IdxRole[];

export type IdxFileSet = Record<IdxRole, string>;

/** A directory that was searched, and why it was on the list. */
export interface SearchedDir {
  readonly dir: string;
  readonly why: string;
  /** How many of the four files were there (a partial set is reported, never used). */
  readonly found: number;
  /** File names not found there (only when some were found). */
  readonly missing?: readonly string[];
  /** Paths that exist but are not regular files. */
  readonly notFiles?: readonly string[];
}

/** `$XDG_CACHE_HOME/winnow` or `~/.cache/winnow`. */
export function userCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'winnow');
}

/**
 * The directories searched for a full dataset, in order. An explicit data dir is the only place searched:
 * it is used or refused, never silently replaced by a copy found elsewhere.
 */
export function candidateDirs(name: string, opts: { dataDir?: string; systemDirs?: readonly string[] }): Array<{ dir: string; why: string }> {
  const out: Array<{ dir: string; why: string }> = [];
  // A data dir may hold one folder per dataset, or be the dataset folder itself.
  if (opts.dataDir) {
    return [{ dir: resolve(opts.dataDir, name), why: '--data-dir' }, { dir: resolve(opts.dataDir), why: '--data-dir' }];
  }
  const env = process.env['WINNOW_DATA'];
  if (env) out.push({ dir: resolve(env, name), why: '$WINNOW_DATA' }, { dir: resolve(env), why: '$WINNOW_DATA' });
  out.push({ dir: join(userCacheDir(), name), why: 'user cache' });
  for (const d of opts.systemDirs ?? []) out.push({ dir: d, why: 'system package' });
  return out;
}

/** The path of one file in `dir`, raw preferred over .gz (faster to load); null when absent. */
export function findIdxFile(dir: string, base: string): string | null {
  return probeIdxFile(dir, base).path;
}

/** As findIdxFile, also naming an entry that exists but is not a regular file (a directory, a device…). */
export function probeIdxFile(dir: string, base: string): { path: string | null; notFile: string | null } {
  let notFile: string | null = null;
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return { path: p, notFile };
      notFile ??= p;
    } catch { /* absent */ }
  }
  return { path: null, notFile };
}

/** All four files in `dir`, or the count found; `missing` names the absent roles' files, `notFiles` non-files. */
export function findIdxSet(dir: string): { files: IdxFileSet | null; found: number; missing: string[]; notFiles: string[] } {
  const files: Partial<IdxFileSet> = {};
  let found = 0;
  const missing: string[] = [], notFiles: string[] = [];
  for (const role of IDX_ROLES) {
    const { path, notFile } = probeIdxFile(dir, IDX_FILES[role]);
    if (notFile) notFiles.push(notFile);
    if (path) { files[role] = path; found++; } else missing.push(`${IDX_FILES[role]}[.gz]`);
  }
  return { files: found === IDX_ROLES.length ? (files as IdxFileSet) : null, found, missing, notFiles };
}

/** Searches the candidate directories; the first complete set wins. */
export function locateIdxDataset(name: string, opts: { dataDir?: string; systemDirs?: readonly string[] }):
  { files: IdxFileSet | null; dir: string | null; searched: SearchedDir[] } {
  const searched: SearchedDir[] = [];
  const seen = new Set<string>();
  for (const { dir, why } of candidateDirs(name, opts)) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const { files, found, missing, notFiles } = findIdxSet(dir);
    searched.push({ dir, why, found, ...(found > 0 ? { missing } : {}), ...(notFiles.length ? { notFiles } : {}) });
    if (files) return { files, dir, searched };
  }
  return { files: null, dir: null, searched };
}

let cachedRoot: string | null = null;

/** The directory holding winnow's package.json, found by walking up from this module. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'winnow') return (cachedRoot = dir);
      } catch { /* not ours; keep walking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`winnow: cannot find the package root (package.json named "winnow") above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Where the embedded subsets live: <package root>/data/embedded/<name>. */
export function embeddedDir(name: string): string {
  return join(packageRoot(), 'data', 'embedded', name);
}
