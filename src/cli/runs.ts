// `winnow runs list|show|export` and `winnow report RUN`: read the experiment store.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { LOTTERY_DEFAULTS, type LotteryHparams } from '../lottery/hparams.js';
import { storedResults } from '../lottery/runner.js';
import { summarize } from '../lottery/summary.js';
import { writeLotteryReport } from '../lottery/report.js';
import { openStore, type ExperimentStore, type RunRecord } from '../store/db.js';
import { formatTable } from '../report/table.js';
import { UserError } from '../util/errors.js';
import { levelTable } from './lottery-table.js';

function withStore<T>(root: string, fn: (store: ExperimentStore) => T): T {
  if (!existsSync(root)) throw new UserError(`--store ${root}: no experiment store there (run winnow lottery first, or pass --store DIR)`);
  const store = openStore(root);
  try { return fn(store); } finally { store.close(); }
}

/** A run by full id or unique prefix. */
function findRun(store: ExperimentStore, id: string): RunRecord {
  const runs = store.listRuns().filter((r) => r.id === id || r.id.startsWith(id));
  if (runs.length === 0) throw new UserError(`run '${id}': no such run in the store (see winnow runs list)`);
  if (runs.length > 1 && !runs.some((r) => r.id === id)) throw new UserError(`run '${id}' is ambiguous: ${runs.map((r) => r.id).join(', ')}`);
  return runs.find((r) => r.id === id) ?? runs[0]!;
}

const hparamsOf = (run: RunRecord): LotteryHparams => ({ ...LOTTERY_DEFAULTS, ...(run.hparams as Partial<LotteryHparams>) });

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function register(program: Command): void {
  const runs = program.command('runs').description('list, show and export runs in the experiment store');
  runs.command('list')
    .description('list the runs in a store')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--kind <kind>', 'only runs of this kind (e.g. lottery)')
    .option('--json', 'JSON on stdout')
    .action((o: { store: string; kind?: string; json?: boolean }) => withStore(o.store, (store) => {
      const rows = store.listRuns(o.kind).map((r) => {
        const jobs = store.listJobs(r.id);
        const h = r.hparams as Record<string, unknown>;
        return { id: r.id, kind: r.kind, status: r.status, model: h['model'], dataset: h['dataset'], jobsDone: jobs.filter((j) => j.status === 'done').length, jobs: jobs.length, updatedAt: r.updatedAt, canonical: r.canonical };
      });
      if (o.json) { console.log(JSON.stringify(rows, null, 2)); return; }
      if (rows.length === 0) { console.log(`no runs in ${o.store}`); return; }
      console.log(formatTable(['id', 'kind', 'status', 'model', 'dataset', 'jobs done', 'updated', 'non-default hparams'],
        rows.map((r) => [r.id, r.kind, r.status, String(r.model ?? ''), String(r.dataset ?? ''), `${r.jobsDone}/${r.jobs}`, r.updatedAt.slice(0, 19), r.canonical || '(defaults)'])));
    }));
  runs.command('show <run>')
    .description('hyperparameters and the per-level table of a run (id or unique prefix)')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { store: string; json?: boolean }) => withStore(o.store, (store) => {
      const run = findRun(store, id), h = hparamsOf(run);
      const summary = summarize(storedResults(store, run.id));
      if (o.json) { console.log(JSON.stringify({ run, summary }, null, 2)); return; }
      console.log(`${run.id} (${run.kind}, ${run.status}) — ${run.canonical || 'all defaults'}`);
      if (run.kind === 'lottery') { console.log(levelTable(summary, h.controls)); return; }
      console.log(formatTable(['seed', 'solved', 'generations', 'evaluations', 'hidden', 'enabled', 'fitness'],
        store.listJobs(run.id).map((j) => {
          const e = (j.extra ?? {}) as Record<string, unknown>;
          return [String(j.replicate), String(e['solved']), String(e['generations']), String(e['evaluations']), String(e['hidden']), String(e['enabled']), Number(e['fitness']).toPrecision(6)];
        })));
    }));
  runs.command('export <run>')
    .description('every job (and with --metrics every evaluation) of a run as CSV or JSON on stdout')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--csv', 'CSV (the default)')
    .option('--json', 'JSON')
    .option('--metrics', 'export the evaluation history rows instead of one row per job')
    .action((id: string, o: { store: string; csv?: boolean; json?: boolean; metrics?: boolean }) => withStore(o.store, (store) => {
      if (o.csv && o.json) throw new UserError('--csv and --json are mutually exclusive');
      const run = findRun(store, id);
      const jobs = store.listJobs(run.id);
      const rows: Array<Record<string, unknown>> = o.metrics
        ? jobs.flatMap((j) => store.getMetrics(j).map((m) => ({ replicate: j.replicate, level: j.level, branch: j.branch, ...m })))
        : jobs.map(({ runId: _r, extra: _e, ...j }) => j);
      if (o.json) { console.log(JSON.stringify(rows, null, 2)); return; }
      const cols = rows.length ? Object.keys(rows[0]!) : [];
      process.stdout.write([cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n');
    }));

  program.command('report <run>')
    .description('write the SVG charts and markdown/HTML report of a lottery run (id or unique prefix)')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .action((id: string, o: { store: string }) => withStore(o.store, (store) => {
      const run = findRun(store, id);
      if (run.kind !== 'lottery') throw new UserError(`run ${run.id} is a ${run.kind} run; winnow report draws lottery runs`);
      const results = storedResults(store, run.id);
      if (results.length === 0) throw new UserError(`run ${run.id} has no finished trainings yet`);
      const h = hparamsOf(run);
      for (const p of writeLotteryReport(o.store, run.id, h, h.dataset, results, store)) console.log(p);
    }));
}
