// The experiment index: <root>/winnow.db, an embedded SQLite database (WAL mode) of runs, jobs
// (one per replicate × level × branch) and their logged metrics. Files (masks, weights) live in
// the directory layout of layout.ts; the database makes them queryable for reports and resume.
// A damaged database is reported as a UserError and never modified, so nothing is lost twice.
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkJobKey, checkRunId, type JobKey } from './layout.js';

export type { JobKey } from './layout.js';
export type Status = 'pending' | 'running' | 'done';
const STATUSES: readonly Status[] = ['pending', 'running', 'done'];

export interface RunInput {
  /** from describeRun()/runId() in hash.ts */
  id: string;
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

/** A finished (or in-progress) job. Missing numeric fields are stored as null; NaN is stored as null (SQLite has no NaN). */
export interface JobResult {
  status: Status;
  /** fraction of prunable weights remaining, in [0, 1] */
  density?: number | null;
  earlyStopIteration?: number | null;
  earlyStopValLoss?: number | null;
  earlyStopTestAccuracy?: number | null;
  finalTestAccuracy?: number | null;
  wallSeconds?: number | null;
  /** mean seconds per training step */
  stepSeconds?: number | null;
  iterations?: number | null;
  /** anything else worth keeping, JSON-serializable */
  extra?: Record<string, unknown> | null;
}

export interface JobRecord extends JobKey {
  status: Status;
  density: number | null;
  earlyStopIteration: number | null;
  earlyStopValLoss: number | null;
  earlyStopTestAccuracy: number | null;
  finalTestAccuracy: number | null;
  wallSeconds: number | null;
  stepSeconds: number | null;
  iterations: number | null;
  extra: Record<string, unknown> | null;
}

export interface MetricRow {
  /** training iteration the evaluation was made at, ≥ 0, unique within a job */
  iteration: number;
  trainLoss?: number | null;
  valLoss?: number | null;
  valAccuracy?: number | null;
  testLoss?: number | null;
  testAccuracy?: number | null;
}

export interface StoreOptions {
  /** clock for created_at/updated_at (tests) */
  now?: () => Date;
}

// Append-only: never edit a shipped migration; add the next one. Index i brings version i → i+1.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     hparams TEXT NOT NULL CHECK (json_valid(hparams)),
     canonical TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done'))
   ) STRICT;
   CREATE INDEX runs_kind ON runs(kind);
   CREATE TABLE jobs (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     replicate INTEGER NOT NULL CHECK (replicate >= 0),
     level INTEGER NOT NULL CHECK (level >= 0),
     branch TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')),
     density REAL CHECK (density IS NULL OR (density >= 0 AND density <= 1)),
     early_stop_iteration INTEGER,
     early_stop_val_loss REAL,
     early_stop_test_accuracy REAL,
     final_test_accuracy REAL,
     wall_seconds REAL,
     step_seconds REAL,
     iterations INTEGER,
     extra TEXT CHECK (extra IS NULL OR json_valid(extra)),
     PRIMARY KEY (run_id, replicate, level, branch)
   ) STRICT;
   CREATE TABLE metrics (
     run_id TEXT NOT NULL,
     replicate INTEGER NOT NULL,
     level INTEGER NOT NULL,
     branch TEXT NOT NULL,
     iteration INTEGER NOT NULL CHECK (iteration >= 0),
     train_loss REAL,
     val_loss REAL,
     val_accuracy REAL,
     test_loss REAL,
     test_accuracy REAL,
     PRIMARY KEY (run_id, replicate, level, branch, iteration),
     FOREIGN KEY (run_id, replicate, level, branch) REFERENCES jobs(run_id, replicate, level, branch) ON DELETE CASCADE
   ) STRICT, WITHOUT ROWID;`,
];
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

const num = (v: number | null | undefined): number | null => (v === undefined || v === null || Number.isNaN(v) ? null : v);

function checkStatus(s: unknown): Status {
  if (!STATUSES.includes(s as Status)) throw new TypeError(`status must be one of ${STATUSES.join(', ')}, got ${String(s)}`);
  return s as Status;
}

interface RunRow { id: string; kind: string; hparams: string; canonical: string; created_at: string; updated_at: string; status: Status }
interface JobRow {
  run_id: string; replicate: number; level: number; branch: string; status: Status; density: number | null;
  early_stop_iteration: number | null; early_stop_val_loss: number | null; early_stop_test_accuracy: number | null;
  final_test_accuracy: number | null; wall_seconds: number | null; step_seconds: number | null; iterations: number | null; extra: string | null;
}
interface MetricDbRow { iteration: number; train_loss: number | null; val_loss: number | null; val_accuracy: number | null; test_loss: number | null; test_accuracy: number | null }

const toRun = (r: RunRow): RunRecord => ({
  id: r.id, kind: r.kind, hparams: JSON.parse(r.hparams) as Record<string, unknown>, canonical: r.canonical,
  createdAt: r.created_at, updatedAt: r.updated_at, status: r.status,
});
const toJob = (r: JobRow): JobRecord => ({
  runId: r.run_id, replicate: r.replicate, level: r.level, branch: r.branch, status: r.status, density: r.density,
  earlyStopIteration: r.early_stop_iteration, earlyStopValLoss: r.early_stop_val_loss, earlyStopTestAccuracy: r.early_stop_test_accuracy,
  finalTestAccuracy: r.final_test_accuracy, wallSeconds: r.wall_seconds, stepSeconds: r.step_seconds, iterations: r.iterations,
  extra: r.extra === null ? null : (JSON.parse(r.extra) as Record<string, unknown>),
});
const toMetric = (r: MetricDbRow): MetricRow => ({
  iteration: r.iteration, trainLoss: r.train_loss, valLoss: r.val_loss, valAccuracy: r.val_accuracy, testLoss: r.test_loss, testAccuracy: r.test_accuracy,
});

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
      ).run({ id: run.id, kind: run.kind, hparams: JSON.stringify(run.hparams), canonical: run.canonical, t, status });
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
   * Writes a job row and REPLACES its metrics rows, in one transaction: either all of it is stored
   * or none (a bad metrics row rolls the job back). The run must exist (upsertRun first).
   */
  setJobResult(key: JobKey, result: JobResult, metrics: readonly MetricRow[] = []): void {
    checkJobKey(key);
    const status = checkStatus(result.status);
    const k = { run_id: key.runId, replicate: key.replicate, level: key.level, branch: key.branch };
    const write = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(key.runId) === undefined) {
        throw new Error(`setJobResult: run ${key.runId} is not in ${this.path}; call upsertRun first`);
      }
      this.db.prepare(
        `INSERT INTO jobs (run_id, replicate, level, branch, status, density, early_stop_iteration, early_stop_val_loss,
           early_stop_test_accuracy, final_test_accuracy, wall_seconds, step_seconds, iterations, extra)
         VALUES (@run_id, @replicate, @level, @branch, @status, @density, @early_stop_iteration, @early_stop_val_loss,
           @early_stop_test_accuracy, @final_test_accuracy, @wall_seconds, @step_seconds, @iterations, @extra)
         ON CONFLICT(run_id, replicate, level, branch) DO UPDATE SET status = excluded.status, density = excluded.density,
           early_stop_iteration = excluded.early_stop_iteration, early_stop_val_loss = excluded.early_stop_val_loss,
           early_stop_test_accuracy = excluded.early_stop_test_accuracy, final_test_accuracy = excluded.final_test_accuracy,
           wall_seconds = excluded.wall_seconds, step_seconds = excluded.step_seconds, iterations = excluded.iterations,
           extra = excluded.extra`,
      ).run({
        ...k, status, density: num(result.density), early_stop_iteration: num(result.earlyStopIteration),
        early_stop_val_loss: num(result.earlyStopValLoss), early_stop_test_accuracy: num(result.earlyStopTestAccuracy),
        final_test_accuracy: num(result.finalTestAccuracy), wall_seconds: num(result.wallSeconds), step_seconds: num(result.stepSeconds),
        iterations: num(result.iterations), extra: result.extra == null ? null : JSON.stringify(result.extra),
      });
      // A rerun's metrics replace the old ones rather than merging with them.
      this.db.prepare('DELETE FROM metrics WHERE run_id = @run_id AND replicate = @replicate AND level = @level AND branch = @branch').run(k);
      const ins = this.db.prepare(
        `INSERT INTO metrics (run_id, replicate, level, branch, iteration, train_loss, val_loss, val_accuracy, test_loss, test_accuracy)
         VALUES (@run_id, @replicate, @level, @branch, @iteration, @train_loss, @val_loss, @val_accuracy, @test_loss, @test_accuracy)`,
      );
      for (const m of metrics) {
        ins.run({
          ...k, iteration: m.iteration, train_loss: num(m.trainLoss), val_loss: num(m.valLoss), val_accuracy: num(m.valAccuracy),
          test_loss: num(m.testLoss), test_accuracy: num(m.testAccuracy),
        });
      }
      this.db.prepare('UPDATE runs SET updated_at = ? WHERE id = ?').run(this.now().toISOString(), key.runId);
    });
    this.guard(() => write.immediate());
  }

  /** Sets only a job's status (creating a pending/running row if absent), keeping its results and metrics. */
  setJobStatus(key: JobKey, status: Status): void {
    checkJobKey(key);
    checkStatus(status);
    this.guard(() =>
      this.db.prepare(
        `INSERT INTO jobs (run_id, replicate, level, branch, status) VALUES (@run_id, @replicate, @level, @branch, @status)
         ON CONFLICT(run_id, replicate, level, branch) DO UPDATE SET status = excluded.status`,
      ).run({ run_id: key.runId, replicate: key.replicate, level: key.level, branch: key.branch, status }),
    );
  }

  getJob(key: JobKey): JobRecord | undefined {
    const r = this.guard(() =>
      this.db.prepare('SELECT * FROM jobs WHERE run_id = ? AND replicate = ? AND level = ? AND branch = ?').get(key.runId, key.replicate, key.level, key.branch) as JobRow | undefined,
    );
    return r && toJob(r);
  }

  /** A run's jobs ordered by replicate, level, branch. */
  listJobs(runId: string): JobRecord[] {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM jobs WHERE run_id = ? ORDER BY replicate, level, branch').all(runId) as JobRow[]);
    return rows.map(toJob);
  }

  /** A job's metrics ordered by iteration (empty if none). */
  getMetrics(key: JobKey): MetricRow[] {
    const rows = this.guard(() =>
      this.db.prepare(
        `SELECT iteration, train_loss, val_loss, val_accuracy, test_loss, test_accuracy FROM metrics
         WHERE run_id = ? AND replicate = ? AND level = ? AND branch = ? ORDER BY iteration`,
      ).all(key.runId, key.replicate, key.level, key.branch) as MetricDbRow[],
    );
    return rows.map(toMetric);
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
        db!.exec(MIGRATIONS[i]!);
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
