// The one launch path of every experiment: resolve hyperparameters → run id → open the store → lock the
// run → record it (database row + hparams.json) → run the jobs the store has not finished → summarize →
// report → mark the run done. Rerunning the same command resumes the run; a second process on the same
// run refuses with a clear message.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type JobRecord, type MetricRow } from '../store/db.js';
import { describeRun } from '../store/hash.js';
import { jobDir, runDir, writeHparamsFile } from '../store/layout.js';
import { acquireLock } from '../store/lock.js';
import type { AnyExperiment, Experiment, Finished, JobOutput, JobSpec, RemoteRunner, RunEnv } from './experiment.js';
import { JobPool } from './pool.js';
import { defaultsOf } from './params.js';
import type { ProgressEvent } from './progress.js';

export interface LaunchOptions {
  /** experiment store directory */
  root: string;
  emit?: (e: ProgressEvent) => void;
  backend?: 'native' | 'reference';
  /** skip report() */
  noReport?: boolean;
  checkpointSeconds?: number;
  /** run independent jobs on this many worker threads (experiments marked `parallel`); results do not depend on it */
  workers?: number;
  /** run the jobs on queue workers instead (experiments marked `parallel`; distributed.ts) */
  remote?: RemoteRunner;
}

export interface Launched<H, S extends JobSpec, R, O> {
  runId: string;
  canonical: string;
  hparams: H;
  jobs: Array<Finished<S, R>>;
  summary: O;
  reportFiles: string[];
}

/** The hyperparameters as hashed into the run id, and the baseline they are compared with. */
export function runIdentity<H>(exp: Experiment<H, JobSpec, unknown, unknown, unknown>, h: H): { id: string; canonical: string } {
  const strip = (o: Record<string, unknown>): Record<string, unknown> => {
    const c = { ...o };
    for (const k of exp.outsideIdentity ?? []) delete c[k as string];
    return c;
  };
  const values = exp.identity ? exp.identity(h) : strip(h as Record<string, unknown>);
  const baseline = exp.idBaseline ? exp.idBaseline(h) : strip(defaultsOf(exp.params) as Record<string, unknown>);
  return describeRun(exp.name, values, baseline);
}

/** Every key a job reads, directly or through the jobs it reads. */
export function readsOf(plan: readonly JobSpec[], spec: JobSpec): string[] {
  const byKey = new Map(plan.map((s) => [s.key, s]));
  const out = new Set<string>();
  const visit = (k: string): void => { if (out.has(k)) return; out.add(k); for (const d of byKey.get(k)?.after ?? []) visit(d); };
  for (const d of spec.after ?? []) visit(d);
  return [...out];
}

/**
 * Runs the plan's unfinished jobs — in plan order on this thread, or with `workers` > 1 on a pool of worker
 * threads as their dependencies (`after`) allow — and returns every job, finished ones read back, in plan order.
 */
async function runJobs<H, S extends JobSpec, R, C, O>(exp: Experiment<H, S, R, C, O>, h: H, plan: S[], stored: Map<string, JobRecord>, env: RunEnv, ctx: C,
  opts: LaunchOptions): Promise<Array<Finished<S, R>>> {
  const { store, runId, emit } = env;
  const metric = (key: string) => (row: MetricRow): void => emit({ type: 'metrics', runId, key, row: row as { iteration: number } });
  const done: Array<Finished<S, R>> = [];
  const finish = (spec: S, result: R, resumed: boolean, t0: number): void => {
    done.push({ spec, result });
    const index = plan.indexOf(spec);
    emit({ type: 'job-done', key: spec.key, label: spec.label, index, total: plan.length, resumed, seconds: (performance.now() - t0) / 1000 });
    exp.afterJob?.(h, done, spec, env);
  };
  const pending: S[] = [];
  for (const spec of plan) {
    const prior = stored.get(spec.key);
    if (prior?.status === 'done') finish(spec, exp.checkResult(prior.result, `${store.path}: run ${runId} job ${spec.key}`), true, performance.now());
    else pending.push(spec);
  }
  const remote = exp.parallel && !exp.nestedRuns ? opts.remote : undefined;
  const workers = remote ? Infinity : exp.parallel ? Math.min(opts.workers ?? 1, pending.length) : 1;
  const pool = !remote && workers > 1 ? new JobPool(workers, { experiment: exp.name, h, root: env.root, runId, backend: env.backend, checkpointSeconds: env.checkpointSeconds }, emit) : null;
  const execute = (spec: S): Promise<JobOutput<R>> => {
    if (remote) return remote.run(exp.name, h, env, spec, readsOf(plan, spec)) as Promise<JobOutput<R>>;
    if (pool) return pool.run(spec) as Promise<JobOutput<R>>;
    const dir = jobDir(env.root, runId, spec.key);
    mkdirSync(dir, { recursive: true });
    return Promise.resolve(exp.runJob(ctx, spec, {
      ...env, dir, metric: metric(spec.key), step: (d, t, info) => emit({ type: 'step', key: spec.key, done: d, total: t, ...(info ? { info } : {}) }),
    }));
  };
  try {
    const doneKeys = new Set(done.map((d) => d.spec.key));
    const running = new Map<string, Promise<{ spec: S; out: JobOutput<R>; t0: number }>>();
    while (pending.length > 0 || running.size > 0) {
      for (let i = 0; i < pending.length && running.size < workers;) {
        const spec = pending[i]!;
        if (!(spec.after ?? []).every((k) => doneKeys.has(k))) { i++; continue; }
        pending.splice(i, 1);
        emit({ type: 'job-start', key: spec.key, label: spec.label, index: plan.indexOf(spec), total: plan.length });
        store.setJobStatus(runId, spec.key, 'running');
        const t0 = performance.now();
        const job = execute(spec).then((out) => ({ spec, out, t0 }));
        job.catch(() => {}); // the race below reports the first failure; later ones are not unhandled
        running.set(spec.key, job);
      }
      if (running.size === 0) throw new Error(`launch: jobs ${pending.map((s) => s.key).join(', ')} wait for jobs that are not in the plan`);
      const { spec, out, t0 } = await Promise.race(running.values());
      running.delete(spec.key);
      store.setJobResult(runId, spec.key, out.result, out.metrics ?? []);
      doneKeys.add(spec.key);
      finish(spec, out.result, false, t0);
    }
  } finally {
    await pool?.close();
  }
  return done.sort((a, b) => plan.indexOf(a.spec) - plan.indexOf(b.spec));
}

export async function launch<H, S extends JobSpec, R, C, O>(exp: Experiment<H, S, R, C, O>, h: H, opts: LaunchOptions): Promise<Launched<H, S, R, O>> {
  const { id: runId, canonical } = runIdentity(exp as unknown as AnyExperiment, h);
  if (exp.inStore) h = exp.inStore(h, opts.root); // after the id: such fields are outside it
  const started = performance.now();
  const store = openStore(opts.root);
  // Evaluations reach the store as they happen (live curves); the job's final metrics replace them.
  // A nested run's (compare's lottery) pass through here too, and are its own run's to store.
  const emit = (e: ProgressEvent): void => {
    if (e.type === 'metrics' && e.runId === runId) store.setMetric(runId, e.key, e.row);
    opts.emit?.(e);
  };
  let release: (() => void) | undefined;
  let ctx: C | undefined;
  try {
    release = acquireLock(join(runDir(opts.root, runId), '.lock'), `run ${runId} in ${opts.root}/`);
    store.upsertRun({ id: runId, kind: exp.name, hparams: { ...h } as Record<string, unknown>, canonical });
    writeHparamsFile(opts.root, { id: runId, kind: exp.name, canonical, hparams: { ...h } as Record<string, unknown> });
    const env: RunEnv = { root: opts.root, runId, store, emit, backend: opts.backend ?? 'native', checkpointSeconds: opts.checkpointSeconds ?? 10 };
    const plan = exp.plan(h);
    const stored = new Map(store.listJobs(runId).map((j) => [j.key, j]));
    const finished = plan.filter((s) => stored.get(s.key)?.status === 'done').length;
    emit({ type: 'run-start', experiment: exp.name, runId, root: opts.root, jobs: plan.length, done: finished, info: exp.describe ? [exp.describe(h)] : [] });
    ctx = await exp.open(h, env);
    const done = await runJobs(exp, h, plan, stored, env, ctx, opts);
    const summary = await exp.summarize(ctx, h, done, env);
    store.setRunStatus(runId, 'done');
    const reportFiles = !opts.noReport && exp.report ? exp.report(h, summary, env) : [];
    emit({ type: 'run-done', runId, seconds: (performance.now() - started) / 1000 });
    return { runId, canonical, hparams: h, jobs: done, summary, reportFiles };
  } finally {
    try {
      if (ctx !== undefined) await exp.close?.(ctx);
    } finally {
      release?.();
      store.close();
    }
  }
}
