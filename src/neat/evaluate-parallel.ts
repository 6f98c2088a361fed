// Fitness evaluation of a whole population, inline or on a pool of worker threads. Workers only compute
// fitness; every evaluation's randomness is derived from (seed, generation, genome index) (tasks/task.ts),
// and results are placed by genome index, so the number of workers cannot change a run.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import type { NeatConfig } from './config.js';
import type { Genome } from './genome.js';
import { createTask } from './tasks/index.js';
import type { EvalResult, Task, TaskSpec } from './tasks/task.js';

export interface Evaluator {
  evaluate(genomes: Genome[], seed: number, generation: number): Promise<EvalResult[]>;
  close(): Promise<void>;
}

export interface WorkerJob { jobId: number; seed: number; generation: number; start: number; genomes: Genome[] }
export interface WorkerReply { jobId: number; fitness?: Float64Array; solved?: Uint8Array; error?: string }

export class InlineEvaluator implements Evaluator {
  readonly task: Task;
  constructor(task: Task) { this.task = task; }
  async evaluate(genomes: Genome[], seed: number, generation: number): Promise<EvalResult[]> {
    if (this.task.evaluateMany) return this.task.evaluateMany(genomes, { seed, generation, start: 0 });
    return genomes.map((g, index) => this.task.evaluate(g, { seed, generation, index }));
  }
  async close(): Promise<void> {}
}

export class WorkerPoolEvaluator implements Evaluator {
  private workers: Worker[] = [];
  private nextJob = 0;

  constructor(n: number, spec: TaskSpec, cfg: NeatConfig) {
    checkWorkers(n);
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./evaluate-worker.js', import.meta.url), { workerData: { spec, cfg } });
      w.unref();
      this.workers.push(w);
    }
  }

  get size(): number { return this.workers.length; }

  async evaluate(genomes: Genome[], seed: number, generation: number): Promise<EvalResult[]> {
    const results = new Array<EvalResult>(genomes.length);
    const chunk = Math.max(1, Math.ceil(genomes.length / (this.workers.length * 4)));
    let next = 0;
    const runOn = (w: Worker): Promise<void> => new Promise<void>((resolve, reject) => {
      const pump = () => {
        if (next >= genomes.length) { cleanup(); resolve(); return; }
        const start = next;
        next = Math.min(genomes.length, next + chunk);
        const job: WorkerJob = { jobId: this.nextJob++, seed, generation, start, genomes: genomes.slice(start, next) };
        w.postMessage(job);
      };
      const onMessage = (r: WorkerReply & { start: number }) => {
        if (r.error) { cleanup(); reject(new Error(`neat worker: ${r.error}`)); return; }
        for (let i = 0; i < r.fitness!.length; i++) results[r.start + i] = { fitness: r.fitness![i]!, solved: r.solved![i] === 1 };
        pump();
      };
      const onError = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { w.off('message', onMessage); w.off('error', onError); };
      w.on('message', onMessage);
      w.on('error', onError);
      pump();
    });
    await Promise.all(this.workers.map(runOn));
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}

/**
 * Most worker threads a pool may have: 4 per core, at least 4 and at most 64 (docs/LIMITS.md). Each
 * worker is a V8 isolate of some tens of MB; thousands abort the process.
 */
export function maxWorkers(cores = availableParallelism()): number {
  return Math.max(4, Math.min(64, 4 * cores));
}

/** Throws a UserError naming --workers unless 1 ≤ workers ≤ maxWorkers(). */
export function checkWorkers(workers: number): void {
  const max = maxWorkers();
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > max) {
    throw new UserError(`--workers: expected an integer from 1 to ${max} (4 per core, at most 64, on this machine with ${availableParallelism()} cores), got ${workers}`);
  }
}

/** workers ≤ 1: evaluate in this thread; otherwise a pool of that many worker threads. */
export function makeEvaluator(workers: number, spec: TaskSpec, cfg: NeatConfig): Evaluator {
  checkWorkers(workers);
  if (workers <= 1) return new InlineEvaluator(createTask(spec, cfg));
  return new WorkerPoolEvaluator(workers, spec, cfg);
}
