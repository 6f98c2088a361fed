// The contract every experiment implements: typed hyperparameters (params.ts), a plan of serializable
// job specs, runJob, summarize and report. launch.ts runs any experiment through one path: run identity,
// store, lock, resume (finished jobs are read back, not rerun), progress events and the run's status.
import type { ExperimentStore, MetricRow } from '../store/db.js';
import type { Params } from './params.js';
import type { ProgressEvent } from './progress.js';

/** One job: plain JSON, everything a worker needs besides the run's hyperparameters. */
export interface JobSpec {
  /** unique within the run; also the job's directory under the run (`a/b/c`) */
  key: string;
  /** for people: "rep 0 level 3 ticket" */
  label: string;
  /** keys of jobs whose outputs this job reads: it starts only after them (with --workers > 1) */
  after?: string[];
}

export interface JobOutput<R> {
  result: R;
  metrics?: MetricRow[];
}

/** What a running experiment may use: where it stores, how it reports, the kernel backend chosen. */
export interface RunEnv {
  root: string;
  runId: string;
  store: ExperimentStore;
  emit(e: ProgressEvent): void;
  backend: 'native' | 'reference';
  /** save a resumable checkpoint at most this often (seconds; 0: every epoch) */
  checkpointSeconds: number;
}

export interface JobEnv extends RunEnv {
  /** `<root>/<runId>/<job key>`, created before runJob */
  dir: string;
  /** progress inside the job */
  step(done: number, total: number, info?: Record<string, string | number>): void;
  /** an evaluation while the job runs: stored at once, so curves can be watched live (`winnow serve`) */
  metric(row: MetricRow): void;
}

export interface Finished<S extends JobSpec, R> {
  spec: S;
  result: R;
}

export interface Experiment<H, S extends JobSpec, R, C, O> {
  /** the run kind in the store, e.g. 'lottery' */
  name: string;
  description: string;
  params: Params<H>;
  /** named sets of pinned values, chosen by one flag (the lottery's --protocol) */
  presets?: { flag: string; help: string; values: Record<string, { summary: string; values: Partial<H> }> };
  /** its jobs may run on worker threads: runJob uses only what open() built and the spec */
  parallel?: boolean;
  /** some jobs launch runs of their own in the store (compare's and sparse-study's lottery runs): worker threads
   *  share the store, so they may run there, but a queue worker's scratch store would keep those runs */
  nestedRuns?: boolean;
  /** hyperparameters that change how much is run, not the results of a job (replicates, seeds): not in the run id */
  outsideIdentity?: readonly (keyof H)[];
  /** fills hyperparameters whose default is a place inside the store (evolve's output folder); they must be outside identity */
  inStore?(h: H, root: string): H;
  /** the values run ids are measured against, when they differ from today's defaults (so changed defaults get new ids) */
  idBaseline?(h: H): Record<string, unknown>;
  /** hyperparameters as hashed into the run id (default: h without outsideIdentity) */
  identity?(h: H): Record<string, unknown>;
  /** derived values and checks across flags (UserError naming the flags); `given` are the keys the user set */
  resolve?(h: H, given: ReadonlySet<keyof H>): H;
  /** a one-line description for the start of a run */
  describe?(h: H): string;
  plan(h: H): S[];
  /** load what every job needs (data, evaluators); closed by close() */
  open(h: H, env: RunEnv): C | Promise<C>;
  close?(ctx: C): void | Promise<void>;
  runJob(ctx: C, spec: S, env: JobEnv): JobOutput<R> | Promise<JobOutput<R>>;
  /** checks a stored result read back on resume (typed JSON); throws on a malformed one */
  checkResult(value: unknown, where: string): R;
  /** files a finished job must still have (relative to its directory) for its result to stand; `runs repair` checks them */
  artifacts?(h: H, spec: S): string[];
  /** called after each job (also for ones read back); may emit table rows */
  afterJob?(h: H, done: ReadonlyArray<Finished<S, R>>, spec: S, env: RunEnv): void;
  summarize(ctx: C, h: H, done: ReadonlyArray<Finished<S, R>>, env: RunEnv): O | Promise<O>;
  /** finished jobs as a terminal table (`winnow runs show`) */
  show?(h: H, done: ReadonlyArray<Finished<S, R>>): string;
  /** writes the report; returns the paths written */
  report?(h: H, summary: O, env: RunEnv): string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExperiment = Experiment<any, any, any, any, any>;

/** Runs a job elsewhere (queue workers, distributed.ts) given the keys of the jobs whose files it reads. */
export interface RemoteRunner {
  run(experiment: string, h: unknown, env: RunEnv, spec: JobSpec, reads: string[]): Promise<JobOutput<unknown>>;
}
