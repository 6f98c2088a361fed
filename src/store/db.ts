// The experiment index: <root>/winnow.db, an embedded SQLite database (WAL mode) of runs, their jobs
// (keyed by a string the experiment chooses, with a JSON result) and the jobs' logged metrics. Files
// (masks, weights) live in the directory layout of layout.ts; the database makes them queryable for
// reports and resume. (Over 300 lines: the header checks that keep a damaged file untouched belong here.)
// A damaged database is reported as a UserError and never modified, so nothing is lost twice.
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkJobKey, checkRunId } from './layout.js';
import { MIGRATIONS } from './migrations.js';

export { lotteryJobKey } from './migrations.js';

export type Status = 'pending' | 'running' | 'done';
const STATUSES: readonly Status[] = ['pending', 'running', 'done'];

export interface RunInput {
  /** from describeRun()/runId() in hash.ts */
  id: string;
  /** the experiment's name (lottery, neat, compare, …) */
  kind: string;
  hparams: Record<string, unknown>;
  canonical: string;
  /** default 'pending' on insert; on update, the stored status is kept unless given */
  status?: Status;
}

export interface RunRecord {
  id: string;
  kind: string;
  hparams: Record<string, unknown>;
  canonical: string;
  /** ISO-8601 */
  createdAt: string;
  updatedAt: string;
  status: Status;
}

/** One job of a run: its key (unique within the run, also its directory), status and typed JSON result. */
export interface JobRecord<R = unknown> {
  runId: string;
  key: string;
  status: Status;
  /** null until the job is done */
  result: R | null;
  updatedAt: string;
}

/** One logged evaluation of a job: the iteration (unique within the job) and named numbers (null: not measured). */
export interface MetricRow {
  iteration: number;
  [name: string]: number | null | undefined;
}

export interface StoreOptions {
  /** clock for created_at/updated_at (tests) */
  now?: () => Date;
  /** false: refuse (UserError) when the directory holds no store yet, instead of creating one */
  create?: boolean;
}

export const SCHEMA_VERSION = MIGRATIONS.length;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function damaged(path: string, problem: string): UserError {
  // SQLite's integrity reports are multi-line and can be long; the CLI prints one line.
  const flat = problem.replace(/\s+/g, ' ').trim();
  problem = flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
  return new UserError(
    `${path}: the experiment database is damaged (${problem}). It was left untouched; move it aside ` +
      `(mv '${path}' '${path}.damaged') to start a new index — run directories and their .wt files are kept — or restore it from a backup`,
  );
}

/**
 * Checks the SQLite file header before SQLite touches the file: signature, page size, and that the
 * file holds as many pages as the header claims (a truncated copy fails here, not halfway through a
 * query). Without a WAL file beside it, a healthy database is exactly pageSize × pageCount bytes.
 */
function checkHeader(path: string): void {
  const size = statSync(path).size;
  if (size === 0) return; // SQLite treats an empty file as a new database
  const head = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 16 || !head.subarray(0, 16).equals(SQLITE_MAGIC)) throw damaged(path, 'not an SQLite database: bad file signature');
  if (n < 100) throw damaged(path, `truncated: ${size} bytes, shorter than the 100-byte header`);
  const rawPage = head.readUInt16BE(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw damaged(path, `invalid page size ${rawPage}`);
  const walPath = `${path}-wal`;
  const hasWal = existsSync(walPath) && statSync(walPath).size > 0;
  const pageCount = head.readUInt32BE(28);
  const countValid = pageCount > 0 && head.readUInt32BE(92) === head.readUInt32BE(24);
  if (!hasWal && countValid && size < pageCount * pageSize) {
    throw damaged(path, `truncated: ${size} bytes, the header says ${pageCount} pages of ${pageSize} = ${pageCount * pageSize}`);
  }
  if (!hasWal && size % pageSize !== 0) throw damaged(path, `truncated: ${size} bytes is not a whole number of ${pageSize}-byte pages`);
}

function sqliteCode(e: unknown): string | undefined {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Turns SQLite's environment errors (damage, locks, permissions) into one-line UserErrors. */
function translate(path: string, e: unknown): unknown {
  const code = sqliteCode(e);
  if (code === undefined) return e;
  const msg = (e as Error).message;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return damaged(path, msg);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) return new UserError(`${path}: the experiment database is busy (${msg}); another winnow process is writing to it — wait for it or stop it`);
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new UserError(`${path}: cannot use the experiment database (${msg}); check the path, its permissions and free disk space`);
  }
  return e;
}

function checkStatus(s: unknown): Status {
  if (!STATUSES.includes(s as Status)) throw new TypeError(`status must be one of ${STATUSES.join(', ')}, got ${String(s)}`);
  return s as Status;
}

interface RunRow { id: string; kind: string; hparams: string; canonical: string; created_at: string; updated_at: string; status: Status }
interface JobRow { run_id: string; job_key: string; status: Status; result: string | null; updated_at: string }

const toRun = (r: RunRow): RunRecord => ({
  id: r.id, kind: r.kind, hparams: JSON.parse(r.hparams) as Record<string, unknown>, canonical: r.canonical,
  createdAt: r.created_at, updatedAt: r.updated_at, status: r.status,
});
const toJob = (r: JobRow): JobRecord => ({
  runId: r.run_id, key: r.job_key, status: r.status, result: r.result === null ? null : (JSON.parse(r.result) as unknown), updatedAt: r.updated_at,
});

/** JSON with NaN and ±Infinity as null (JSON has neither; SQLite's json_valid refuses them). */
const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));

export class ExperimentStore {
  readonly root: string;
  /** `<root>/winnow.db` */
  readonly path: string;
  private db: Database.Database;
  private now: () => Date;

  /** Use openStore(). */
  constructor(root: string, db: Database.Database, path: string, now: () => Date) {
    this.root = root;
    this.db = db;
    this.path = path;
    this.now = now;
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw translate(this.path, e);
    }
  }

  /** Inserts a run or updates its hparams/canonical (and status, if given); keeps created_at. */
  upsertRun(run: RunInput): RunRecord {
    checkRunId(run.id);
    const status = run.status === undefined ? null : checkStatus(run.status);
    const t = this.now().toISOString();
    return this.guard(() => {
      this.db.prepare(
        `INSERT INTO runs (id, kind, hparams, canonical, created_at, updated_at, status)
         VALUES (@id, @kind, @hparams, @canonical, @t, @t, coalesce(@status, 'pending'))
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, hparams = excluded.hparams, canonical = excluded.canonical,
           updated_at = excluded.updated_at, status = coalesce(@status, runs.status)`,
      ).run({ id: run.id, kind: run.kind, hparams: json(run.hparams), canonical: run.canonical, t, status });
      return this.getRun(run.id)!;
    });
  }

  /** Sets a run's status (and updated_at). Throws if the run does not exist. */
  setRunStatus(id: string, status: Status): void {
    checkStatus(status);
    const changes = this.guard(() => this.db.prepare('UPDATE runs SET status = ?, updated_at = ? WHERE id = ?').run(status, this.now().toISOString(), id).changes);
    if (changes === 0) throw new Error(`setRunStatus: run ${id} is not in ${this.path}; call upsertRun first`);
  }

  getRun(id: string): RunRecord | undefined {
    const r = this.guard(() => this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined);
    return r && toRun(r);
  }

  /** All runs (of one kind, if given), oldest first. */
  listRuns(kind?: string): RunRecord[] {
    const rows = this.guard(() =>
      kind === undefined
        ? (this.db.prepare('SELECT * FROM runs ORDER BY created_at, id').all() as RunRow[])
        : (this.db.prepare('SELECT * FROM runs WHERE kind = ? ORDER BY created_at, id').all(kind) as RunRow[]),
    );
    return rows.map(toRun);
  }

  /**
   * Stores a finished job: its result and, REPLACING any earlier ones, its metrics, in one transaction
   * (either all of it is stored or none). The run must exist (upsertRun first).
   */
  setJobResult(runId: string, key: string, result: unknown, metrics: readonly MetricRow[] = []): void {
    checkJobKey(key);
    const t = this.now().toISOString();
    const write = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId) === undefined) {
        throw new Error(`setJobResult: run ${runId} is not in ${this.path}; call upsertRun first`);
      }
      this.db.prepare(
        `INSERT INTO job_results (run_id, job_key, status, result, updated_at) VALUES (?, ?, 'done', ?, ?)
         ON CONFLICT(run_id, job_key) DO UPDATE SET status = 'done', result = excluded.result, updated_at = excluded.updated_at`,
      ).run(runId, key, json(result), t);
      // A rerun's metrics replace the old ones rather than merging with them.
      this.db.prepare('DELETE FROM job_metrics WHERE run_id = ? AND job_key = ?').run(runId, key);
      const ins = this.db.prepare('INSERT INTO job_metrics (run_id, job_key, iteration, value) VALUES (?, ?, ?, ?)');
      for (const { iteration, ...value } of metrics) {
        if (!Number.isSafeInteger(iteration) || iteration < 0) throw new TypeError(`metrics iteration must be an integer ≥ 0, got ${iteration}`);
        ins.run(runId, key, iteration, json(value));
      }
      this.db.prepare('UPDATE runs SET updated_at = ? WHERE id = ?').run(t, runId);
    });
    this.guard(() => write.immediate());
  }

  /** Stores one evaluation of a running job (replacing one at the same iteration); the job row must exist. */
  setMetric(runId: string, key: string, row: MetricRow): void {
    const { iteration, ...value } = row;
    if (!Number.isSafeInteger(iteration) || iteration < 0) throw new TypeError(`metrics iteration must be an integer ≥ 0, got ${iteration}`);
    this.guard(() => this.db.prepare(
      `INSERT INTO job_metrics (run_id, job_key, iteration, value) VALUES (?, ?, ?, ?)
       ON CONFLICT(run_id, job_key, iteration) DO UPDATE SET value = excluded.value`,
    ).run(runId, key, iteration, json(value)));
  }

  /** Sets a job's status (creating the row if absent); 'pending' also drops its result and metrics (recompute). */
  setJobStatus(runId: string, key: string, status: Status): void {
    checkJobKey(key);
    checkStatus(status);
    const t = this.now().toISOString();
    const write = this.db.transaction(() => {
      this.db.prepare(
        `INSERT INTO job_results (run_id, job_key, status, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(run_id, job_key) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      ).run(runId, key, status, t);
      if (status === 'pending') {
        this.db.prepare('UPDATE job_results SET result = NULL WHERE run_id = ? AND job_key = ?').run(runId, key);
        this.db.prepare('DELETE FROM job_metrics WHERE run_id = ? AND job_key = ?').run(runId, key);
        this.db.prepare("UPDATE runs SET status = 'pending', updated_at = ? WHERE id = ?").run(t, runId);
      }
    });
    this.guard(() => write.immediate());
  }

  getJob(runId: string, key: string): JobRecord | undefined {
    const r = this.guard(() => this.db.prepare('SELECT * FROM job_results WHERE run_id = ? AND job_key = ?').get(runId, key) as JobRow | undefined);
    return r && toJob(r);
  }

  /** A run's jobs ordered by key. */
  listJobs(runId: string): JobRecord[] {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM job_results WHERE run_id = ? ORDER BY job_key').all(runId) as JobRow[]);
    return rows.map(toJob);
  }

  /** A job's metrics ordered by iteration (empty if none); null values stay null. */
  getMetrics(runId: string, key: string): MetricRow[] {
    const rows = this.guard(() =>
      this.db.prepare('SELECT iteration, value FROM job_metrics WHERE run_id = ? AND job_key = ? ORDER BY iteration').all(runId, key) as { iteration: number; value: string }[],
    );
    return rows.map((r) => ({ iteration: r.iteration, ...(JSON.parse(r.value) as Record<string, number | null>) }));
  }

  /** Closes the database (checkpointing the WAL into winnow.db). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating if needed) `<root>/winnow.db`: WAL mode, foreign keys on, schema migrated to
 * SCHEMA_VERSION. A damaged, foreign or newer-schema file is a UserError, and the file is not written.
 */
export function openStore(root: string, opts: StoreOptions = {}): ExperimentStore {
  const path = join(root, 'winnow.db');
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw new UserError(`${root}: cannot create the experiment directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (opts.create === false && !existsSync(path)) {
    throw new UserError(`${root}: no experiment store there (no winnow.db); pass the --store directory a run wrote to`);
  }
  if (existsSync(path)) {
    if (!statSync(path).isFile()) throw new UserError(`${path}: exists but is not a file; expected the experiment database`);
    checkHeader(path);
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    // Read-only checks first: nothing below writes until the file is known to be sound.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw damaged(path, `integrity check: ${String(check)}`);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    if (tables.length > 0 && !tables.includes('schema_version')) {
      throw new UserError(`${path}: is an SQLite database but not a winnow experiment store (tables: ${tables.join(', ')}); choose another --root`);
    }
    const readVersion = (): number =>
      db!.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() === undefined
        ? 0
        : ((db!.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0);
    const found = readVersion();
    if (found > SCHEMA_VERSION) {
      throw new UserError(`${path}: was written by a newer winnow (schema ${found}; this one knows up to ${SCHEMA_VERSION}); upgrade winnow`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process kills; only power loss can drop the last commit
    db.pragma('foreign_keys = ON');
    const migrate = db.transaction(() => {
      db!.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
      const v = readVersion(); // re-read inside the write lock: another process may have migrated meanwhile
      for (let i = v; i < SCHEMA_VERSION; i++) {
        const m = MIGRATIONS[i]!;
        if (typeof m === 'string') db!.exec(m); else m(db!);
        db!.prepare('INSERT INTO schema_version (version) VALUES (?)').run(i + 1);
      }
    });
    migrate.immediate();
    return new ExperimentStore(root, db, path, opts.now ?? (() => new Date()));
  } catch (e) {
    try {
      db?.close();
    } catch { /* already failing; report the first error */ }
    throw translate(path, e);
  }
}
