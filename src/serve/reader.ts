// The dashboard's view of a store: <root>/winnow.db opened READ-ONLY (the store is in WAL mode, so these
// reads see a running experiment's commits as they land and never block its writes), plus the figures
// runs leave on disk. Nothing here writes: no migration, no pragma that changes the file, no lock taken.
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SCHEMA_VERSION } from '../store/db.js';
import { runDir } from '../store/layout.js';
import { pidAlive } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export interface RunView {
  id: string;
  kind: string;
  /** the stored status (pending until the run's last job is summarized, then done) */
  status: string;
  /** done; running (a live process holds the run's lock); stopped (unfinished, no process holds it) */
  state: 'done' | 'running' | 'stopped';
  /** pid of the process running it, when state is running */
  pid: number | null;
  canonical: string;
  hparams: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  jobsDone: number;
  jobsRunning: number;
  /** job rows in the store (a job gets its row when it starts) */
  jobsStarted: number;
  /** the run's planned jobs, when the caller knows the experiment (see ReaderOptions.plannedJobs) */
  jobsPlanned: number | null;
}

export interface JobView { key: string; status: string; result: unknown; updatedAt: string; metrics: number }

export interface MetricsView { key: string; rows: Array<Record<string, number | null>> }

/** A figure the dashboard shows: `name` is its URL key (never a path the client chooses). */
export interface Figure { name: string; title: string; path: string }

export interface ReaderOptions {
  /** the number of jobs an experiment plans for these hyperparameters (undefined: unknown) */
  plannedJobs?: (kind: string, hparams: Record<string, unknown>) => number | undefined;
  /** directory relative NEAT/compare output folders are resolved against (default: process.cwd()) */
  cwd?: string;
}

interface RunRow { id: string; kind: string; hparams: string; canonical: string; created_at: string; updated_at: string; status: string }


export class StoreReader {
  readonly root: string;
  readonly path: string;
  private db: Database.Database;
  private opts: ReaderOptions;
  private planned = new Map<string, number | null>();

  constructor(root: string, opts: ReaderOptions = {}) {
    this.root = root;
    this.opts = opts;
    this.path = join(root, 'winnow.db');
    if (!existsSync(root)) throw new UserError(`--store ${root}: no such directory; pass the --store directory a run wrote to`);
    if (!existsSync(this.path)) throw new UserError(`--store ${root}: no experiment store there (no winnow.db); pass the --store directory a run wrote to`);
    try {
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 2000');
      const hasVersion = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
      if (!hasVersion) throw new UserError(`${this.path}: not a winnow experiment store (no schema_version table)`);
      const v = (this.db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
      if (v > SCHEMA_VERSION) throw new UserError(`${this.path}: written by a newer winnow (schema ${v}; this one reads up to ${SCHEMA_VERSION}); upgrade winnow`);
      if (v < SCHEMA_VERSION) throw new UserError(`${this.path}: an older store (schema ${v}); run \`winnow runs list --store ${root}\` once to upgrade it, then serve it`);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${this.path}: cannot open the experiment database read-only (${(e as Error).message.replace(/\s+/g, ' ')})`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Changes whenever another connection commits (SQLite's data_version): cheap polling. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private view(r: RunRow): RunView {
    const counts = this.db.prepare(
      "SELECT count(*) AS n, sum(status = 'done') AS done, sum(status = 'running') AS running FROM job_results WHERE run_id = ?",
    ).get(r.id) as { n: number; done: number | null; running: number | null };
    const hparams = JSON.parse(r.hparams) as Record<string, unknown>;
    let pid: number | null = null;
    if (r.status !== 'done') {
      try {
        const o = JSON.parse(readFileSync(join(runDir(this.root, r.id), '.lock'), 'utf8')) as { pid?: unknown };
        if (Number.isInteger(o.pid) && pidAlive(o.pid as number)) pid = o.pid as number;
      } catch { /* no lock: nobody runs it */ }
    }
    const cacheKey = `${r.id}\n${r.hparams}`;
    if (!this.planned.has(cacheKey)) {
      let n: number | null = null;
      try { n = this.opts.plannedJobs?.(r.kind, hparams) ?? null; } catch { n = null; }
      this.planned.set(cacheKey, n);
    }
    return {
      id: r.id, kind: r.kind, status: r.status, state: r.status === 'done' ? 'done' : pid !== null ? 'running' : 'stopped', pid,
      canonical: r.canonical, hparams, createdAt: r.created_at, updatedAt: r.updated_at,
      jobsDone: counts.done ?? 0, jobsRunning: counts.running ?? 0, jobsStarted: counts.n, jobsPlanned: this.planned.get(cacheKey) ?? null,
    };
  }

  /** Every run, newest first. */
  runs(): RunView[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id').all() as RunRow[]).map((r) => this.view(r));
  }

  run(id: string): RunView | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return r && this.view(r);
  }

  jobs(runId: string): JobView[] {
    const rows = this.db.prepare(
      `SELECT j.job_key AS key, j.status, j.result, j.updated_at AS updatedAt,
              (SELECT count(*) FROM job_metrics m WHERE m.run_id = j.run_id AND m.job_key = j.job_key) AS metrics
       FROM job_results j WHERE j.run_id = ? ORDER BY j.job_key`,
    ).all(runId) as Array<{ key: string; status: string; result: string | null; updatedAt: string; metrics: number }>;
    return rows.map((r) => ({ ...r, result: r.result === null ? null : (JSON.parse(r.result) as unknown) }));
  }

  /** Per job: how many metric rows and the last iteration (to tell appended rows from replaced ones). */
  metricCounts(runId: string): Map<string, { n: number; last: number; sum: number }> {
    const rows = this.db.prepare(
      'SELECT job_key AS key, count(*) AS n, max(iteration) AS last, total(length(value)) AS sum FROM job_metrics WHERE run_id = ? GROUP BY job_key',
    ).all(runId) as Array<{ key: string; n: number; last: number; sum: number }>;
    return new Map(rows.map((r) => [r.key, { n: r.n, last: r.last, sum: r.sum }]));
  }

  /** A job's metric rows after `after` (exclusive; -1: all), by iteration. */
  metrics(runId: string, key: string, after = -1): Array<Record<string, number | null>> {
    const rows = this.db.prepare('SELECT iteration, value FROM job_metrics WHERE run_id = ? AND job_key = ? AND iteration > ? ORDER BY iteration')
      .all(runId, key, after) as Array<{ iteration: number; value: string }>;
    return rows.map((r) => ({ iteration: r.iteration, ...(JSON.parse(r.value) as Record<string, number | null>) }));
  }

  /**
   * The figures a run left on disk: report/*.svg (lottery, train reports), *.svg in the run directory and in
   * the run's --out folder (compare frontier: compare-*.svg), and each finished NEAT job's progress.svg and
   * network.svg in its result.outDir.
   */
  figures(run: RunView, jobs: JobView[]): Figure[] {
    const out: Figure[] = [];
    const svgsIn = (dir: string, prefix: string, title: string): void => {
      let names: string[];
      try { names = readdirSync(dir).filter((n) => n.endsWith('.svg')).sort(); } catch { return; }
      for (const n of names) {
        const p = join(dir, n);
        if (statSync(p, { throwIfNoEntry: false })?.isFile()) out.push({ name: `${prefix}${n}`, title: `${title}${n}`, path: p });
      }
    };
    const dir = runDir(this.root, run.id);
    svgsIn(join(dir, 'report'), 'report/', 'report/');
    svgsIn(dir, 'run/', '');
    const extra = run.hparams['out'];
    if (typeof extra === 'string' && extra !== '') {
      const d = this.resolveOut(extra);
      if (d && (!existsSync(dir) || realpathSync(d) !== realpathSync(dir))) svgsIn(d, 'out/', `${extra}/`);
    }
    for (const j of jobs) {
      const outDir = (j.result as { outDir?: unknown } | null)?.outDir;
      if (typeof outDir !== 'string') continue;
      const d = this.resolveOut(outDir);
      if (!d) continue;
      for (const n of ['progress.svg', 'network.svg']) {
        const p = join(d, n);
        if (statSync(p, { throwIfNoEntry: false })?.isFile()) out.push({ name: `job/${j.key}/${n}`, title: `${j.key}: ${n === 'network.svg' ? 'best network' : 'progress'}`, path: p });
      }
    }
    return out;
  }

  /** An output folder a run recorded: absolute, or relative to the directory winnow ran in (cwd, or the store's parent). */
  private resolveOut(p: string): string | undefined {
    const candidates = isAbsolute(p) ? [p] : [resolve(this.opts.cwd ?? process.cwd(), p), resolve(dirname(resolve(this.root)), p)];
    return candidates.find((c) => statSync(c, { throwIfNoEntry: false })?.isDirectory());
  }
}
