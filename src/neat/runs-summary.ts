// The summary.json of `winnow evolve --runs N` (rewritten after every finished run; read back by
// --resume): { task, seeds: [first, last], config, summary, runs: RunSummary[] }. Everything read back
// flows into reported statistics, so every field is checked: numbers are finite numbers of the right
// kind, runs are consecutive seeds from `first`, and each names the file's task. Any problem is one
// UserError naming the file and the field.
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { readUserJson } from '../util/read.js';
import type { RunSummary } from './run.js';

/** Largest summary.json read: 64 MiB. */
export const MAX_RUNS_SUMMARY_BYTES = 64 * 2 ** 20;
/** Most runs one summary may list (a --runs call of more is refused by the limit below too). */
export const MAX_RUNS = 1_000_000;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const finite = z.number().finite();
const numbers = z.record(z.string(), finite);

const RunSummarySchema = z.object({
  task: z.string(),
  seed: z.number().int().min(0).max(0xffffffff),
  solved: z.boolean(),
  generations: count,
  evaluations: count,
  hidden: count,
  enabled: count,
  fitness: finite,
  championCheck: z.object({ solved: z.boolean(), info: numbers }).nullable(),
  report: numbers,
  wallSeconds: z.number().finite().min(0),
});

const RunsSummarySchema = z.object({
  task: z.string().min(1),
  seeds: z.tuple([z.number().int().min(0).max(0xffffffff), z.number().int().min(0).max(0xffffffff)]),
  config: z.record(z.string(), z.unknown()),
  summary: z.record(z.string(), z.unknown()).optional(),
  runs: z.array(RunSummarySchema).max(MAX_RUNS),
});

export interface RunsSummaryFile {
  task: string;
  seeds: [number, number];
  /** The NEAT config the runs used (compared, not validated, by the caller). */
  config: Record<string, unknown>;
  summary?: Record<string, unknown>;
  runs: RunSummary[];
}

/** Checks parsed summary JSON; `what` names it in errors (e.g. "summary runs/x/summary.json"). */
export function parseRunsSummary(json: unknown, what: string): RunsSummaryFile {
  const r = RunsSummarySchema.safeParse(json);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new UserError(`${what}: field '${iss.path.join('.') || '(root)'}': ${iss.message}`);
  }
  const s = r.data;
  const [first, last] = s.seeds;
  if (last < first) throw new UserError(`${what}: field 'seeds': [${first}, ${last}] ends before it starts`);
  if (s.runs.length > last - first + 1) throw new UserError(`${what}: field 'runs': ${s.runs.length} runs, but seeds ${first}..${last} allow ${last - first + 1}`);
  s.runs.forEach((run, i) => {
    if (run.seed !== first + i) throw new UserError(`${what}: field 'runs.${i}.seed': ${run.seed}, expected ${first + i} (runs are consecutive seeds from ${first})`);
    if (run.task !== s.task) throw new UserError(`${what}: field 'runs.${i}.task': '${run.task}', but the file is for task '${s.task}'`);
  });
  return s as RunsSummaryFile;
}

/** Reads and checks `<out>/summary.json` of `winnow evolve --runs`. */
export function parseRunsSummaryFile(path: string): RunsSummaryFile {
  const what = `summary ${path}`;
  return parseRunsSummary(readUserJson(path, what, { maxBytes: MAX_RUNS_SUMMARY_BYTES }), what);
}

/** Checks one run's summary (a stored job result of the NEAT experiment); `what` names it in errors. */
export function parseRunSummary(json: unknown, what: string): RunSummary {
  const r = RunSummarySchema.safeParse(json);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new UserError(`${what}: field '${iss.path.join('.') || '(root)'}': ${iss.message}`);
  }
  return r.data as RunSummary;
}
