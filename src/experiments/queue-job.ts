// One queued job, run on a worker thread of `winnow worker` (BullMQ's sandboxed processor): a scratch store
// holding the files the job reads, the job, and back what it wrote — result, metrics, files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { SandboxedJob } from 'bullmq';
import { openStore } from '../store/db.js';
import { jobDir, runDir } from '../store/layout.js';
import { writeFileAtomic } from '../util/atomic.js';
import { filesUnder, type RemoteJobData, type RemoteJobResult } from './distributed.js';
import type { RunEnv } from './experiment.js';
import type { ProgressEvent } from './progress.js';
import { EXPERIMENTS } from './registry.js';

// The experiment's context (data, backend) is kept per run for the jobs this thread gets next.
const contexts = new Map<string, Promise<unknown>>();

export default async function queueJob(job: SandboxedJob<RemoteJobData, RemoteJobResult>): Promise<RemoteJobResult> {
  const d = job.data;
  const exp = EXPERIMENTS[d.experiment];
  if (!exp) throw new Error(`unknown experiment ${d.experiment}`);
  const root = mkdtempSync(join(tmpdir(), 'winnow-job-'));
  const store = openStore(root);
  try {
    store.upsertRun({ id: d.runId, kind: d.experiment, hparams: d.h as Record<string, unknown>, canonical: '' });
    const base = runDir(root, d.runId);
    for (const [path, b64] of Object.entries(d.files)) { mkdirSync(dirname(join(base, path)), { recursive: true }); writeFileAtomic(join(base, path), Buffer.from(b64, 'base64')); }
    let lastStep = 0;
    const emit = (e: ProgressEvent): void => {
      if (e.type === 'metrics' || (e.type === 'step' && performance.now() - lastStep > 1000)) { lastStep = performance.now(); void job.updateProgress(e as unknown as object); }
    };
    const env: RunEnv = { root, runId: d.runId, store, emit, backend: d.backend, checkpointSeconds: 10 };
    if (!contexts.has(d.runId)) contexts.set(d.runId, Promise.resolve(exp.open(d.h, env)));
    const ctx = await contexts.get(d.runId);
    const dir = jobDir(root, d.runId, d.spec.key);
    mkdirSync(dir, { recursive: true });
    const out = await exp.runJob(ctx, d.spec, {
      ...env, dir, step: (done, total) => emit({ type: 'step', key: d.spec.key, done, total }),
      metric: (row) => emit({ type: 'metrics', runId: d.runId, key: d.spec.key, row: row as { iteration: number } }),
    });
    const files: Record<string, string> = {};
    for (const f of filesUnder(base)) {
      const rel = relative(base, f);
      if (!(rel in d.files) && rel !== 'hparams.json') files[rel] = readFileSync(f).toString('base64');
    }
    return { result: out.result, metrics: out.metrics ?? [], files };
  } finally {
    store.close();
    rmSync(root, { recursive: true, force: true });
  }
}
