// `winnow sweep FILE`: a grid or list of hyperparameters over any experiment, run on this machine's
// threads or, with --queue redis://…, on `winnow worker` processes anywhere; and `winnow worker` itself.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { readSweepFile, runQueueWorker, runSweep } from '../experiments/index.js';
import { formatTable } from '../report/table.js';
import { choiceFlag, intFlag } from '../util/flags.js';
import { PROGRESS_MODES, progressRenderer, type ProgressMode } from './progress.js';

export function register(program: Command): void {
  program.command('sweep <file>')
    .description('run a sweep file: {"experiment": NAME, "base": {…}, "grid": {hparam: [values]}, "list": [{…}]} — every combination is a run; finished jobs are read back')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--queue <url>', 'run the jobs on `winnow worker` processes through BullMQ on this Redis (redis://HOST:PORT)')
    .option('--workers <n>', 'worker threads for local runs', intFlag('--workers', 1, 64), availableParallelism())
    .option('--backend <name>', 'kernel backend', choiceFlag('--backend', ['native', 'reference'] as const), 'native')
    .option('--progress <mode>', `progress on stderr: ${PROGRESS_MODES.join(' | ')}`, choiceFlag('--progress', PROGRESS_MODES), 'auto')
    .option('--json', 'print the runs as JSON on stdout')
    .action(async (file: string, o: { store: string; queue?: string; workers: number; backend: 'native' | 'reference'; progress: ProgressMode; json?: boolean }) => {
      const runs = readSweepFile(file);
      const renderer = progressRenderer(o.progress, { rowsToStdout: false, label: 'sweep' });
      process.stderr.write(`sweep ${file}: ${runs.length} run(s) of ${runs[0]?.experiment.name}${o.queue ? ` on the workers of ${o.queue}` : ''}\n`);
      let r;
      try {
        r = await runSweep(runs, { root: o.store, emit: (e) => renderer.emit(e), workers: o.workers, backend: o.backend, ...(o.queue ? { queue: o.queue } : {}) });
      } finally { renderer.stop(); }
      if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      console.log(formatTable(['run', 'settings', 'jobs'], r.runs.map((x) => [x.runId, x.label, String(x.jobs)])));
    });

  program.command('worker')
    .description('run queued jobs of `winnow sweep --queue` until stopped (Ctrl-C / SIGTERM)')
    .requiredOption('--queue <url>', 'the Redis the sweep queues on (redis://HOST:PORT)')
    .option('--concurrency <n>', 'jobs at a time (each on its own thread)', intFlag('--concurrency', 1, 64), 1)
    .option('--lock-seconds <s>', 'a job whose worker stops answering this long is given to another worker', intFlag('--lock-seconds', 1, 3600), 30)
    .action(async (o: { queue: string; concurrency: number; lockSeconds: number }) => {
      const w = await runQueueWorker({ url: o.queue, concurrency: o.concurrency, lockSeconds: o.lockSeconds, log: (l) => process.stderr.write(l + '\n') });
      process.stderr.write(`worker on ${o.queue}: waiting for jobs (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      await w.close();
    });
}
