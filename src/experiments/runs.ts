// Reading and mending the store for `winnow runs` and `winnow report`: list, show, export, report, and
// repair/reset — which mark jobs whose files are missing or damaged (or that the user names) to recompute,
// so every error message's advice works and the rerun ends identical to a run never damaged.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type ExperimentStore, type JobRecord, type RunRecord } from '../store/db.js';
import { jobDir, runDir, runIdMatches } from '../store/layout.js';
import { acquireLock } from '../store/lock.js';
import { loadTensors } from '../store/tensorfile.js';
import { UserError } from '../util/errors.js';
import type { AnyExperiment, JobSpec } from './experiment.js';
import { EXPERIMENTS } from './registry.js';

export function withStore<T>(root: string, fn: (store: ExperimentStore) => T): T {
  const store = openStore(root, { create: false });
  try { return fn(store); } finally { store.close(); }
}

/** A run by full id or unique prefix (of the id, or of its hash: `2553` for lottery_2553…). */
export function findRun(store: ExperimentStore, id: string): RunRecord {
  const runs = store.listRuns().filter((r) => r.id === id || runIdMatches(r.id, id));
  if (runs.length === 0) throw new UserError(`run '${id}': no such run in ${store.root}/ (see winnow runs list)`);
  if (runs.length > 1 && !runs.some((r) => r.id === id)) throw new UserError(`run '${id}' is ambiguous: ${runs.map((r) => r.id).join(', ')}`);
  return runs.find((r) => r.id === id) ?? runs[0]!;
}

function experimentOf(run: RunRecord): AnyExperiment {
  const exp = EXPERIMENTS[run.kind];
  if (!exp) throw new UserError(`run ${run.id} is of kind '${run.kind}', which this winnow does not know (${Object.keys(EXPERIMENTS).join(', ')})`);
  return exp;
}

export interface RunRow { id: string; kind: string; status: string; model: unknown; dataset: unknown; jobsDone: number; jobs: number; updatedAt: string; canonical: string }

export function listRuns(root: string, kind?: string): RunRow[] {
  return withStore(root, (store) => store.listRuns(kind).map((r) => {
    const jobs = store.listJobs(r.id);
    const h = r.hparams;
    return { id: r.id, kind: r.kind, status: r.status, model: h['model'] ?? (h['task'] !== undefined ? `neat:${String(h['task'])}` : undefined), dataset: h['task'] !== undefined && h['task'] !== 'classify' ? h['task'] : h['dataset'], jobsDone: jobs.filter((j) => j.status === 'done').length, jobs: jobs.length, updatedAt: r.updatedAt, canonical: r.canonical };
  }));
}

/** A run's record and its finished jobs' typed results (checked as on resume). */
export function readRun(root: string, id: string): { run: RunRecord; jobs: Array<JobRecord & { spec?: JobSpec }> } {
  return withStore(root, (store) => {
    const run = findRun(store, id);
    const exp = experimentOf(run);
    const jobs = store.listJobs(run.id).map((j) => (j.status === 'done' ? { ...j, result: exp.checkResult(j.result, `${store.path}: run ${run.id} job ${j.key}`) } : j));
    return { run, jobs };
  });
}

/** Every job's metrics rows, labelled by job key. */
export function runMetrics(root: string, id: string): Array<Record<string, unknown>> {
  return withStore(root, (store) => {
    const run = findRun(store, id);
    return store.listJobs(run.id).flatMap((j) => store.getMetrics(run.id, j.key).map((m) => ({ job: j.key, ...m })));
  });
}

/** A run's finished jobs as its experiment shows them (a table), or a plain list of jobs. */
export function showRun(root: string, id: string): { run: RunRecord; jobs: Array<{ key: string; status: string; result: unknown }>; text: string } {
  return withStore(root, (store) => {
    const run = findRun(store, id);
    const exp = experimentOf(run);
    const jobs = store.listJobs(run.id);
    const byKey = new Map(jobs.filter((j) => j.status === 'done').map((j) => [j.key, j]));
    const done = (exp.plan(run.hparams) as JobSpec[]).filter((s) => byKey.has(s.key))
      .map((spec) => ({ spec, result: exp.checkResult(byKey.get(spec.key)!.result, `${store.path}: run ${run.id} job ${spec.key}`) }));
    const text = exp.show && done.length ? exp.show(run.hparams, done) : jobs.map((j) => `${j.key}  ${j.status}`).join('\n');
    return { run, jobs: jobs.map((j) => ({ key: j.key, status: j.status, result: j.result })), text };
  });
}

/** Summarizes a run's finished jobs through its experiment (for show and report). */
export async function summarizeStored(root: string, id: string): Promise<{ run: RunRecord; summary: unknown; exp: AnyExperiment; reportFiles: () => string[] }> {
  const store = openStore(root, { create: false });
  try {
    const run = findRun(store, id);
    const exp = experimentOf(run);
    const h = run.hparams;
    const byKey = new Map(store.listJobs(run.id).filter((j) => j.status === 'done').map((j) => [j.key, j]));
    const done = (exp.plan(h) as JobSpec[]).filter((s) => byKey.has(s.key))
      .map((spec) => ({ spec, result: exp.checkResult(byKey.get(spec.key)!.result, `${store.path}: run ${run.id} job ${spec.key}`) }));
    if (done.length === 0) throw new UserError(`run ${run.id} has no finished jobs yet`);
    const env = { root, runId: run.id, store, emit: () => {}, backend: 'native' as const, checkpointSeconds: 10 };
    const ctx = await exp.open(h, env);
    try {
      const summary = await exp.summarize(ctx, h, done, env);
      const files = exp.report ? exp.report(h, summary, env) : [];
      return { run, summary, exp, reportFiles: () => files };
    } finally {
      await exp.close?.(ctx);
    }
  } finally {
    store.close();
  }
}

export interface Mended { job: string; reason: string }

function damagedTensorFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const bad: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!name.endsWith('.wt') || !statSync(p).isFile()) continue;
    try { loadTensors(p); } catch (e) { if (e instanceof UserError) bad.push(name); else throw e; }
  }
  return bad;
}

/**
 * Marks jobs to recompute: with `keys`, those jobs (reset); without, every job whose declared files are
 * missing or whose tensor files fail their checksum (repair). Damaged files are deleted; a rerun of the
 * run's command recomputes exactly those jobs.
 */
export function mendRun(root: string, id: string, keys?: readonly string[]): { runId: string; mended: Mended[] } {
  return withStore(root, (store) => {
    const run = findRun(store, id);
    const exp = experimentOf(run);
    const release = acquireLock(join(runDir(root, run.id), '.lock'), `run ${run.id} in ${root}/`);
    try {
      const h = run.hparams;
      const plan = exp.plan(h) as JobSpec[];
      const jobs = new Map(store.listJobs(run.id).map((j) => [j.key, j]));
      const mended: Mended[] = [];
      if (keys) {
        for (const k of keys) if (!plan.some((s) => s.key === k)) throw new UserError(`--job ${k}: run ${run.id} has no such job (jobs: ${plan.slice(0, 5).map((s) => s.key).join(', ')}${plan.length > 5 ? ', …' : ''})`);
        for (const k of keys) {
          rmSync(jobDir(root, run.id, k), { recursive: true, force: true });
          store.setJobStatus(run.id, k, 'pending');
          mended.push({ job: k, reason: 'reset on request' });
        }
        return { runId: run.id, mended };
      }
      for (const spec of plan) {
        const dir = jobDir(root, run.id, spec.key);
        const bad = damagedTensorFiles(dir);
        for (const f of bad) rmSync(join(dir, f), { force: true });
        const j = jobs.get(spec.key);
        if (j?.status !== 'done') {
          if (bad.length) mended.push({ job: spec.key, reason: `unfinished; removed damaged ${bad.join(', ')}` });
          continue;
        }
        const missing = (exp.artifacts?.(h, spec) ?? []).filter((f) => !existsSync(join(dir, f)));
        if (bad.length === 0 && missing.length === 0) continue;
        store.setJobStatus(run.id, spec.key, 'pending');
        mended.push({ job: spec.key, reason: [bad.length ? `damaged ${bad.join(', ')} (removed)` : '', missing.length ? `missing ${missing.join(', ')}` : ''].filter(Boolean).join('; ') });
      }
      return { runId: run.id, mended };
    } finally {
      release();
    }
  });
}
