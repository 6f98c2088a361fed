// Sweeps: a JSON file that expands into runs of one experiment — a grid (every combination of the listed
// values) and/or a list of settings, on top of shared base values. Every value goes through the flag's own
// parser, so a bad one is refused exactly as on the command line, naming the file and the field.
//   { "experiment": "lottery", "base": { "levels": 3 }, "grid": { "seed": [0, 1], "lr": [0.001, 0.002] },
//     "list": [ { "model": "mlp:784-100-10" } ] }
// grid × list: each grid point is combined with each list entry (a missing list is one empty entry).
import { readUserJson } from '../util/read.js';
import { UserError } from '../util/errors.js';
import type { AnyExperiment } from './experiment.js';
import { launch } from './launch.js';
import { resolveHparams } from './params.js';
import type { ProgressEvent } from './progress.js';
import { EXPERIMENTS } from './registry.js';

export interface SweepRun { experiment: AnyExperiment; h: Record<string, unknown>; label: string }

const MAX_RUNS = 10_000;

/** A JSON value as the flag's parser would see it on the command line. */
function asFlagText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join(',');
  return null;
}

function values(exp: AnyExperiment, where: string, o: unknown): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new UserError(`${where}: expected an object of hyperparameters, found ${JSON.stringify(o)}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const p = (exp.params as Record<string, { flag: string; parse?: (s: string) => unknown; default: unknown } | undefined>)[k];
    if (!p) throw new UserError(`${where}: unknown hyperparameter '${k}' of ${exp.name} (expected ${Object.keys(exp.params).join(', ')})`);
    if (!p.parse) {
      if (typeof v !== 'boolean') throw new UserError(`${where}.${k}: expected true or false, found ${JSON.stringify(v)}`);
      out[k] = v;
      continue;
    }
    const text = asFlagText(v);
    if (text === null) throw new UserError(`${where}.${k}: expected a number, a string or a list, found ${JSON.stringify(v)}`);
    try {
      out[k] = p.parse(text);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${where}.${k}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** Expands a parsed sweep document into runs with resolved hyperparameters (duplicates removed). */
export function expandSweep(doc: unknown, file: string): SweepRun[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${file}: expected a JSON object with "experiment", "base", "grid" and/or "list"`);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!['experiment', 'base', 'grid', 'list'].includes(k)) throw new UserError(`${file}: unknown field '${k}' (expected experiment, base, grid, list)`);
  const exp = EXPERIMENTS[String(d['experiment'])];
  if (!exp) throw new UserError(`${file}: field 'experiment': expected one of ${Object.keys(EXPERIMENTS).join(', ')}, found ${JSON.stringify(d['experiment'])}`);
  const base = d['base'] === undefined ? {} : values(exp, `${file}: base`, d['base']);
  let points: Array<Record<string, unknown>> = [{}];
  if (d['grid'] !== undefined) {
    const g = d['grid'];
    if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new UserError(`${file}: field 'grid': expected an object of value lists`);
    for (const [k, list] of Object.entries(g)) {
      if (!Array.isArray(list) || list.length === 0) throw new UserError(`${file}: grid.${k}: expected a non-empty list of values`);
      points = points.flatMap((p) => list.map((v, i) => ({ ...p, ...values(exp, `${file}: grid.${k}[${i}]`, { [k]: v }) })));
      if (points.length > MAX_RUNS) throw new UserError(`${file}: the grid expands to more than ${MAX_RUNS} runs`);
    }
  }
  let entries: Array<Record<string, unknown>> = [{}];
  if (d['list'] !== undefined) {
    if (!Array.isArray(d['list']) || d['list'].length === 0) throw new UserError(`${file}: field 'list': expected a non-empty list of settings`);
    entries = d['list'].map((e, i) => values(exp, `${file}: list[${i}]`, e));
  }
  const runs: SweepRun[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    for (const e of entries) {
      const given = { ...base, ...p, ...e };
      const h = resolveHparams(exp, given) as Record<string, unknown>;
      const key = JSON.stringify(h);
      if (seen.has(key)) continue;
      seen.add(key);
      runs.push({ experiment: exp, h, label: Object.entries({ ...p, ...e }).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') || 'base' });
    }
  }
  if (runs.length > MAX_RUNS) throw new UserError(`${file}: expands to ${runs.length} runs, more than ${MAX_RUNS}`);
  return runs;
}

export function readSweepFile(path: string): SweepRun[] {
  return expandSweep(readUserJson(path, `sweep file ${path}`), path);
}

export interface SweepOptions {
  root: string;
  emit?: (e: ProgressEvent) => void;
  workers?: number;
  backend?: 'native' | 'reference';
  /** redis://HOST:PORT: run the jobs on `winnow worker` processes */
  queue?: string;
}

export interface SweepResult { runs: Array<{ label: string; experiment: string; runId: string; jobs: number }> }

/**
 * Runs every run of a sweep. Locally they run one after another (each on the thread pool); through a
 * queue they are launched together, so every job whose inputs are ready is queued at once.
 */
export async function runSweep(runs: SweepRun[], o: SweepOptions): Promise<SweepResult> {
  const opts = { root: o.root, noReport: true, ...(o.emit ? { emit: o.emit } : {}), ...(o.backend ? { backend: o.backend } : {}), workers: o.workers ?? 1 };
  if (!o.queue) {
    const out: SweepResult['runs'] = [];
    for (const r of runs) {
      const l = await launch(r.experiment, r.h, opts);
      out.push({ label: r.label, experiment: r.experiment.name, runId: l.runId, jobs: l.jobs.length });
    }
    return { runs: out };
  }
  const serial = runs.find((r) => !r.experiment.parallel || r.experiment.nestedRuns);
  if (serial) throw new UserError(`--queue: experiment ${serial.experiment.name} runs only locally (its jobs ${serial.experiment.nestedRuns ? 'start runs of their own in the store' : 'write outside the store'}); drop --queue`);
  const { checkReachable, RemoteExecutor } = await import('./distributed.js'); // BullMQ only when a queue is used
  await checkReachable(o.queue);
  const remote = new RemoteExecutor(o.queue, o.emit ?? (() => {}));
  try {
    const launched = await Promise.all(runs.map((r) => launch(r.experiment, r.h, { ...opts, remote })));
    return { runs: launched.map((l, i) => ({ label: runs[i]!.label, experiment: runs[i]!.experiment.name, runId: l.runId, jobs: l.jobs.length })) };
  } finally {
    await remote.close();
  }
}
