// The store's schema, as migrations: append-only, never edit a shipped one. Index i brings version i → i+1.
import type Database from 'better-sqlite3';

export type Status = 'pending' | 'running' | 'done';

type Migration = string | ((db: Database.Database) => void);

/** The lottery job key of release 0.1's (replicate, level, branch) columns; it is also the job's directory. */
export function lotteryJobKey(replicate: number, level: number, branch: string): string {
  return `replicate_${replicate}/level_${level}/${branch}`;
}

/**
 * Schema 2: jobs keyed by (run, job key) with a JSON result, so every experiment stores its jobs without new
 * columns. Rows of schema 1 are copied in JavaScript (SQLite's JSON functions print REALs with 15 digits; this
 * keeps every double bit-for-bit): lottery jobs become `replicate_R/level_L/BRANCH` with their columns as
 * fields, NEAT jobs `seed_S` with their `extra` object as the result.
 */
function toGenericJobs(db: Database.Database): void {
  db.exec(`CREATE TABLE job_results (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     job_key TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')),
     result TEXT CHECK (result IS NULL OR json_valid(result)),
     updated_at TEXT NOT NULL,
     PRIMARY KEY (run_id, job_key)
   ) STRICT;
   CREATE TABLE job_metrics (
     run_id TEXT NOT NULL,
     job_key TEXT NOT NULL,
     iteration INTEGER NOT NULL CHECK (iteration >= 0),
     value TEXT NOT NULL CHECK (json_valid(value)),
     PRIMARY KEY (run_id, job_key, iteration),
     FOREIGN KEY (run_id, job_key) REFERENCES job_results(run_id, job_key) ON DELETE CASCADE
   ) STRICT, WITHOUT ROWID;`);
  const kinds = new Map((db.prepare('SELECT id, kind, updated_at FROM runs').all() as { id: string; kind: string; updated_at: string }[]).map((r) => [r.id, r]));
  const insJob = db.prepare('INSERT INTO job_results (run_id, job_key, status, result, updated_at) VALUES (?, ?, ?, ?, ?)');
  const insMetric = db.prepare('INSERT INTO job_metrics (run_id, job_key, iteration, value) VALUES (?, ?, ?, ?)');
  const keyOf = (kind: string | undefined, r: { replicate: number; level: number; branch: string }): string =>
    kind === 'neat' ? `seed_${r.replicate}` : lotteryJobKey(r.replicate, r.level, r.branch);
  for (const j of db.prepare('SELECT * FROM jobs ORDER BY run_id, replicate, level, branch').all() as JobRowV1[]) {
    const run = kinds.get(j.run_id);
    const extra = j.extra === null ? null : (JSON.parse(j.extra) as Record<string, unknown>);
    let result: unknown = null;
    if (j.status === 'done') {
      result = run?.kind === 'neat' ? extra : {
        replicate: j.replicate, level: j.level, branch: j.branch, density: j.density, earlyStopIteration: j.early_stop_iteration,
        earlyStopValLoss: j.early_stop_val_loss, earlyStopTestAccuracy: j.early_stop_test_accuracy, finalTestAccuracy: j.final_test_accuracy,
        wallSeconds: j.wall_seconds, stepSeconds: j.step_seconds, iterations: j.iterations, storage: (extra as { storage?: unknown } | null)?.storage ?? [],
      };
    }
    insJob.run(j.run_id, keyOf(run?.kind, j), j.status, result === null ? null : JSON.stringify(result), run?.updated_at ?? new Date(0).toISOString());
  }
  for (const m of db.prepare('SELECT m.*, r.kind FROM metrics m LEFT JOIN runs r ON r.id = m.run_id ORDER BY m.run_id, replicate, level, branch, iteration').all() as Array<MetricRowV1 & { kind: string }>) {
    const value = { trainLoss: m.train_loss, valLoss: m.val_loss, valAccuracy: m.val_accuracy, testLoss: m.test_loss, testAccuracy: m.test_accuracy };
    insMetric.run(m.run_id, keyOf(m.kind, m), m.iteration, JSON.stringify(value));
  }
  // Release 0.1 recorded NEAT runs after the fact as {task, config, model, dataset}; the NEAT experiment's
  // hyperparameters carry the seeds too. The full config is kept as the user config (merging it onto the
  // preset gives it back), so the run id is unchanged.
  const setHparams = db.prepare('UPDATE runs SET hparams = ? WHERE id = ?');
  for (const run of db.prepare("SELECT id, hparams FROM runs WHERE kind = 'neat'").all() as { id: string; hparams: string }[]) {
    const old = JSON.parse(run.hparams) as { task?: unknown; config?: unknown };
    const seeds = (db.prepare('SELECT replicate FROM jobs WHERE run_id = ?').all(run.id) as { replicate: number }[]).map((r) => r.replicate);
    const seed = seeds.length ? Math.min(...seeds) : 1;
    setHparams.run(JSON.stringify({
      task: old.task, config: old.config ?? {}, generations: 0, seed, runs: seeds.length ? Math.max(...seeds) - seed + 1 : 1, workers: 1,
      dataset: 'fashion-mnist-mini@7x7', sample: 1000, out: '',
    }), run.id);
  }
  db.exec('DROP TABLE metrics; DROP TABLE jobs;');
}

interface JobRowV1 {
  run_id: string; replicate: number; level: number; branch: string; status: Status; density: number | null;
  early_stop_iteration: number | null; early_stop_val_loss: number | null; early_stop_test_accuracy: number | null;
  final_test_accuracy: number | null; wall_seconds: number | null; step_seconds: number | null; iterations: number | null; extra: string | null;
}
interface MetricRowV1 { run_id: string; replicate: number; level: number; branch: string; iteration: number; train_loss: number | null; val_loss: number | null; val_accuracy: number | null; test_loss: number | null; test_accuracy: number | null }

export const MIGRATIONS: readonly Migration[] = [
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
  toGenericJobs,
];
