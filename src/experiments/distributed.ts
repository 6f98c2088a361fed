// Many machines through BullMQ on Redis. The coordinator (`winnow sweep --queue redis://…`) keeps the store
// and the schedule: it queues a job once the jobs it reads are done, shipping their files inside the job
// (no shared filesystem), and stores what comes back — result, metrics and every file the job wrote.
// Workers (`winnow worker --queue redis://…`) run each job in a scratch store of their own. A job whose
// worker dies is taken by another once its lock lapses; jobs are deterministic, so the result is the same.
// Job ids are `<run>__<job key>`: a restarted coordinator finds the jobs it queued before.
import { createConnection } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { MetricRow } from '../store/db.js';
import { jobDir, runDir } from '../store/layout.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import type { JobOutput, JobSpec, RemoteRunner, RunEnv } from './experiment.js';
import type { ProgressEvent } from './progress.js';

export const QUEUE_NAME = 'winnow-jobs';

export interface RemoteJobData { experiment: string; h: unknown; runId: string; spec: JobSpec; files: Record<string, string>; backend: 'native' | 'reference' }
export interface RemoteJobResult { result: unknown; metrics: MetricRow[]; files: Record<string, string> }

/** `redis://HOST:PORT` → connection options; refuses anything else with one line. */
export function parseQueueUrl(url: string): { host: string; port: number } {
  const m = /^redis:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(url);
  const port = m ? Number(m[2] ?? 6379) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new UserError(`--queue: expected redis://HOST:PORT, got '${url}'`);
  return { host: m[1]!, port };
}

/** Fails fast with one line when nothing answers at the address (BullMQ would retry forever). */
export async function checkReachable(url: string): Promise<void> {
  const { host, port } = parseQueueUrl(url);
  await new Promise<void>((resolve, reject) => {
    const s = createConnection({ host, port });
    const fail = (why: string) => { s.destroy(); reject(new UserError(`--queue ${url}: cannot reach Redis (${why}); start one with 'redis-server --port ${port}' or give another address`)); };
    s.setTimeout(3000, () => fail('no answer within 3 s'));
    s.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    s.once('connect', () => { s.end(); resolve(); });
  });
}

const connection = (url: string) => ({ ...parseQueueUrl(url), maxRetriesPerRequest: null });

/** Regular files below a directory (hidden ones — locks, temporary files — left out). */
export function filesUnder(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : n.startsWith('.') ? [] : [p];
  });
}

/** The coordinator's side: queue a job with the files of the jobs it reads, wait, store what comes back. */
export class RemoteExecutor implements RemoteRunner {
  private queue: Queue;
  private events: QueueEvents;
  private ready: Promise<unknown>;
  private failure: Error | undefined;

  constructor(private url: string, emit: (e: ProgressEvent) => void) {
    this.queue = new Queue(QUEUE_NAME, { connection: connection(url) });
    this.events = new QueueEvents(QUEUE_NAME, { connection: connection(url) });
    this.events.on('progress', ({ data }) => {
      const e = data as ProgressEvent;
      if (!e || typeof e !== 'object' || (e.type !== 'step' && e.type !== 'metrics')) return;
      try { emit(e); } catch (err) { this.failure ??= err as Error; } // e.g. a full disk: reported by run()
    });
    this.events.setMaxListeners(0); // one waiter per queued job
    this.ready = this.events.waitUntilReady();
  }

  async run(exp: string, h: unknown, env: RunEnv, spec: JobSpec, reads: string[]): Promise<JobOutput<unknown>> {
    await this.ready;
    const root = runDir(env.root, env.runId);
    const files: Record<string, string> = {};
    for (const key of reads) for (const f of filesUnder(jobDir(env.root, env.runId, key))) files[relative(root, f)] = readFileSync(f).toString('base64');
    const data: RemoteJobData = { experiment: exp, h, runId: env.runId, spec, files, backend: env.backend };
    const jobId = `${env.runId}__${spec.key.replace(/\//g, '~')}`;
    let job: Job = await this.queue.add(spec.key, data, {
      jobId, attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
    });
    if (await job.isFailed()) { await job.retry('failed'); job = (await Job.fromId(this.queue, jobId))!; }
    const out = (await job.waitUntilFinished(this.events)) as RemoteJobResult;
    if (this.failure) throw this.failure;
    for (const [path, b64] of Object.entries(out.files)) writeFileAtomic(join(root, path), Buffer.from(b64, 'base64'));
    return { result: out.result, metrics: out.metrics };
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
  }
}

export interface WorkerOptions { url: string; concurrency?: number; log?: (line: string) => void; lockSeconds?: number }

/**
 * `winnow worker`: runs queued jobs until stopped. Each job runs on a worker thread (queue-job.ts), so
 * this thread keeps renewing the job's lock however long the job computes; a worker that dies stops
 * renewing, and after `lockSeconds` another worker takes the job.
 */
export async function runQueueWorker(o: WorkerOptions): Promise<{ close(): Promise<void> }> {
  await checkReachable(o.url);
  const lockMs = 1000 * (o.lockSeconds ?? 30);
  const worker = new Worker<RemoteJobData, RemoteJobResult>(QUEUE_NAME, fileURLToPath(new URL('./queue-job.js', import.meta.url)), {
    connection: connection(o.url), concurrency: o.concurrency ?? 1, useWorkerThreads: true,
    lockDuration: lockMs, stalledInterval: Math.max(500, lockMs / 2), maxStalledCount: 5,
  });
  worker.on('active', (job) => o.log?.(`${job.data.runId} ${job.data.spec.key}: started`));
  worker.on('completed', (job) => o.log?.(`${job.data.runId} ${job.data.spec.key}: done`));
  worker.on('failed', (job, err) => o.log?.(`${job?.data.runId} ${job?.data.spec.key}: failed (${err.message})`));
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
