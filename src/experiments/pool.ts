// Runs an experiment's independent jobs on worker threads (`--workers N`). Each worker opens the
// experiment once and runs the job specs it is given; results come back as plain JSON and the main
// thread stores them, so the store has one writer. Jobs are deterministic, so N does not change results.
import { Worker } from 'node:worker_threads';
import type { MetricRow } from '../store/db.js';
import { UserError } from '../util/errors.js';
import type { JobOutput, JobSpec } from './experiment.js';
import type { ProgressEvent } from './progress.js';

export interface WorkerInit { experiment: string; h: unknown; root: string; runId: string; backend: 'native' | 'reference'; checkpointSeconds: number }
export type WorkerRequest = { kind: 'run'; id: number; spec: JobSpec } | { kind: 'close' };
export type WorkerReply =
  | { kind: 'event'; event: ProgressEvent }
  | { kind: 'done'; id: number; result: unknown; metrics: MetricRow[] }
  | { kind: 'failed'; id: number; message: string; user: boolean; stack?: string };

export class JobPool {
  private workers: Array<{ w: Worker; busy: boolean }> = [];
  private waiting = new Map<number, { resolve: (o: JobOutput<unknown>) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(size: number, init: WorkerInit, emit: (e: ProgressEvent) => void) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      w.on('message', (m: WorkerReply) => {
        if (m.kind === 'event') {
          // Storing an event can fail (a full disk): that ends the run, as a failed job would.
          try { emit(m.event); } catch (e) { this.fail(e as Error); }
          return;
        }
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (!p) return;
        if (m.kind === 'done') p.resolve({ result: m.result, metrics: m.metrics });
        else p.reject(m.user ? new UserError(m.message) : Object.assign(new Error(m.message), { stack: m.stack }));
      });
      w.on('error', (e) => this.fail(e));
      this.workers.push({ w, busy: false });
    }
  }

  get size(): number { return this.workers.length; }

  private fail(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /** Runs a job on an idle worker (the caller never has more jobs in flight than workers). */
  run(spec: JobSpec): Promise<JobOutput<unknown>> {
    const slot = this.workers.find((s) => !s.busy);
    if (!slot) throw new Error('JobPool.run: no idle worker');
    slot.busy = true;
    const id = this.next++;
    return new Promise<JobOutput<unknown>>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      slot.w.postMessage({ kind: 'run', id, spec } satisfies WorkerRequest);
    }).finally(() => { slot.busy = false; });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ w }) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.postMessage({ kind: 'close' } satisfies WorkerRequest);
      setTimeout(() => void w.terminate(), 5000).unref();
    })));
  }
}
