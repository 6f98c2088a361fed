// The one launch path of every experiment: resolve hyperparameters → run id → open the store → lock the
// run → record it (database row + hparams.json) → run the jobs the store has not finished → summarize →
// report → mark the run done. Rerunning the same command resumes the run; a second process on the same
// run refuses with a clear message.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../store/db.js';
import { describeRun } from '../store/hash.js';
import { jobDir, runDir, writeHparamsFile } from '../store/layout.js';
import { acquireLock } from '../store/lock.js';
import type { AnyExperiment, Experiment, Finished, JobSpec, RunEnv } from './experiment.js';
import type { Params } from './params.js';
import type { ProgressEvent } from './progress.js';

export interface LaunchOptions {
  /** experiment store directory */
  root: string;
  emit?: (e: ProgressEvent) => void;
  backend?: 'native' | 'reference';
  /** skip report() */
  noReport?: boolean;
  checkpointSeconds?: number;
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
  const baseline = exp.idBaseline ? exp.idBaseline(h) : strip(defaults(exp.params));
  return describeRun(exp.name, values, baseline);
}

function defaults<H>(params: Params<H>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, p]) => [k, (p as { default: unknown }).default]));
}

export async function launch<H, S extends JobSpec, R, C, O>(exp: Experiment<H, S, R, C, O>, h: H, opts: LaunchOptions): Promise<Launched<H, S, R, O>> {
  const emit = opts.emit ?? (() => {});
  const { id: runId, canonical } = runIdentity(exp as unknown as AnyExperiment, h);
  const started = performance.now();
  const store = openStore(opts.root);
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
    const done: Array<Finished<S, R>> = [];
    for (const [index, spec] of plan.entries()) {
      const prior = stored.get(spec.key);
      const t0 = performance.now();
      let result: R;
      if (prior?.status === 'done') {
        result = exp.checkResult(prior.result, `${store.path}: run ${runId} job ${spec.key}`);
      } else {
        emit({ type: 'job-start', key: spec.key, label: spec.label, index, total: plan.length });
        const dir = jobDir(opts.root, runId, spec.key);
        mkdirSync(dir, { recursive: true });
        store.setJobStatus(runId, spec.key, 'running');
        const out = await exp.runJob(ctx, spec, { ...env, dir, step: (d, t, info) => emit({ type: 'step', key: spec.key, done: d, total: t, ...(info ? { info } : {}) }) });
        store.setJobResult(runId, spec.key, out.result, out.metrics ?? []);
        result = out.result;
      }
      done.push({ spec, result });
      emit({ type: 'job-done', key: spec.key, label: spec.label, index, total: plan.length, resumed: prior?.status === 'done', seconds: (performance.now() - t0) / 1000 });
      exp.afterJob?.(h, done, spec, env);
    }
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
