// Directory layout of an experiment store (open_lth's, with our file names):
//   <root>/winnow.db                                        index (see db.ts)
//   <root>/<runId>/hparams.json                             { id, kind, canonical, hparams }
//   <root>/<runId>/replicate_<r>/level_<L>/<branch>/        one job: mask.wt, weights-init.wt,
//                                                           weights-final.wt, checkpoint.wt, metrics.json
// The path is recomputable from the hparams alone, so results are found without the database.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export const JOB_FILES = ['mask.wt', 'weights-init.wt', 'weights-final.wt', 'checkpoint.wt', 'metrics.json'] as const;
export type JobFile = (typeof JOB_FILES)[number];

const RUN_ID_RE = /^[a-z][a-z0-9_]*$/;
// A job key names the job's directory under the run: path segments of letters, digits, '_', '-', '.'.
const JOB_KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Throws TypeError on a key that cannot name a directory (a programming error, not bad user input). */
export function checkJobKey(key: string): void {
  if (!JOB_KEY_RE.test(key) || key.split('/').some((s) => s === '..' || s === '.')) throw new TypeError(`job key '${key}' must match ${JOB_KEY_RE.source}`);
}

export function checkRunId(runId: string): void {
  if (!RUN_ID_RE.test(runId)) throw new TypeError(`run id '${runId}' must match ${RUN_ID_RE.source}`);
}

/** `<root>/<runId>` */
export function runDir(root: string, runId: string): string {
  checkRunId(runId);
  return join(root, runId);
}

/** `<root>/<runId>/<job key>` (lottery keys: `replicate_<r>/level_<L>/<branch>`) */
export function jobDir(root: string, runId: string, key: string): string {
  checkJobKey(key);
  return join(runDir(root, runId), ...key.split('/'));
}

/** Path of one of a job's files, e.g. jobFile(root, runId, key, 'mask.wt'). */
export function jobFile(root: string, runId: string, key: string, file: JobFile): string {
  if (!(JOB_FILES as readonly string[]).includes(file)) throw new TypeError(`unknown job file '${file}'; expected one of ${JOB_FILES.join(', ')}`);
  return join(jobDir(root, runId, key), file);
}

/** `<root>/<runId>/hparams.json` */
export function hparamsPath(root: string, runId: string): string {
  return join(runDir(root, runId), 'hparams.json');
}

export interface HparamsFile {
  id: string;
  kind: string;
  canonical: string;
  hparams: Record<string, unknown>;
}

/** Writes `<root>/<runId>/hparams.json` atomically (creating the run directory). */
export function writeHparamsFile(root: string, h: HparamsFile): string {
  const path = hparamsPath(root, h.id);
  writeJsonAtomic(path, { id: h.id, kind: h.kind, canonical: h.canonical, hparams: h.hparams });
  return path;
}

/** Reads `<root>/<runId>/hparams.json`; undefined if absent; UserError if unreadable or malformed. */
export function readHparamsFile(root: string, runId: string): HparamsFile | undefined {
  const path = hparamsPath(root, runId);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not valid JSON; delete it to have it rewritten`);
  }
  const o = v as Partial<HparamsFile> | null;
  if (o === null || typeof o !== 'object' || typeof o.id !== 'string' || typeof o.kind !== 'string' || typeof o.canonical !== 'string' || typeof o.hparams !== 'object' || o.hparams === null) {
    throw new UserError(`${path}: expected { id, kind, canonical, hparams }; delete it to have it rewritten`);
  }
  return o as HparamsFile;
}

/** Does `id` name the run `runId`: the full id, a prefix of it, or a prefix of its hash (`2553` for lottery_2553…)? */
export function runIdMatches(runId: string, id: string): boolean {
  return id.length > 0 && (runId.startsWith(id) || runId.slice(runId.indexOf('_') + 1).startsWith(id));
}

/** The run a full id or unique prefix names, among the run folders (those with hparams.json) of a store. */
export function resolveRunId(root: string, id: string): string {
  const isRun = (d: string): boolean => /^[a-z][a-z0-9_]*$/.test(d) && existsSync(join(root, d, 'hparams.json'));
  if (isRun(id)) return id;
  const all = existsSync(root) ? readdirSync(root).filter(isRun) : [];
  const hits = all.filter((d) => runIdMatches(d, id));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new UserError(`run '${id}' in ${root}/ is ambiguous: ${hits.join(', ')}`);
  return id; // callers report the missing run with their own advice
}
