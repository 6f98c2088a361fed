// Worker thread body: rebuilds the task from its spec and evaluates the genomes it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { NeatConfig } from './config.js';
import { createTask } from './tasks/index.js';
import type { TaskSpec } from './tasks/task.js';
import type { WorkerJob } from './evaluate-parallel.js';

const { spec, cfg } = workerData as { spec: TaskSpec; cfg: NeatConfig };
const task = createTask(spec, cfg);

parentPort!.on('message', (job: WorkerJob) => {
  try {
    const n = job.genomes.length;
    const fitness = new Float64Array(n), solved = new Uint8Array(n);
    const rs = task.evaluateMany
      ? task.evaluateMany(job.genomes, { seed: job.seed, generation: job.generation, start: job.start })
      : job.genomes.map((g, i) => task.evaluate(g, { seed: job.seed, generation: job.generation, index: job.start + i }));
    for (let i = 0; i < n; i++) {
      fitness[i] = rs[i]!.fitness;
      solved[i] = rs[i]!.solved ? 1 : 0;
    }
    parentPort!.postMessage({ jobId: job.jobId, start: job.start, fitness, solved }, [fitness.buffer, solved.buffer]);
  } catch (e) {
    parentPort!.postMessage({ jobId: job.jobId, start: job.start, error: (e as Error).stack ?? String(e) });
  }
});
