// A worker thread of the job pool (pool.ts): opens the experiment once (data, backend) and runs the job
// specs it is sent, posting progress events and results back; the main thread alone writes the store.
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/db.js';
import { jobDir } from '../store/layout.js';
import { UserError } from '../util/errors.js';
import type { JobSpec, RunEnv } from './experiment.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './pool.js';
import { EXPERIMENTS } from './registry.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const exp = EXPERIMENTS[init.experiment]!;
const store = openStore(init.root);
const env: RunEnv = {
  root: init.root, runId: init.runId, store, backend: init.backend, checkpointSeconds: init.checkpointSeconds,
  emit: (event) => port.postMessage({ kind: 'event', event } satisfies WorkerReply),
};
const opened = Promise.resolve().then(() => exp.open(init.h, env));

port.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'close') {
    void opened.then((ctx) => exp.close?.(ctx)).finally(() => { store.close(); port.close(); });
    return;
  }
  const spec = msg.spec as JobSpec;
  void opened.then(async (ctx) => {
    const dir = jobDir(init.root, init.runId, spec.key);
    mkdirSync(dir, { recursive: true });
    const metric = (row: { iteration: number }) => env.emit({ type: 'metrics', runId: init.runId, key: spec.key, row });
    const out = await exp.runJob(ctx, spec, { ...env, dir, metric, step: (done, total, info) => env.emit({ type: 'step', key: spec.key, done, total, ...(info ? { info } : {}) }) });
    port.postMessage({ kind: 'done', id: msg.id, result: out.result, metrics: out.metrics ?? [] } satisfies WorkerReply);
  }).catch((e: unknown) => {
    port.postMessage({ kind: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e), user: e instanceof UserError, stack: e instanceof Error ? e.stack : undefined } satisfies WorkerReply);
  });
});
