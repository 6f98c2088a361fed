// `winnow runs list|show|export|repair|reset` and `winnow report RUN`: read and mend the experiment store.
import type { Command } from 'commander';
import { listRuns, mendRun, runMetrics, showRun, summarizeStored } from '../experiments/index.js';
import { formatTable } from '../report/table.js';
import { UserError } from '../util/errors.js';

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Job results as flat rows: nested objects stay JSON cells. */
const flatRow = (key: string, status: string, result: unknown): Record<string, unknown> =>
  ({ job: key, status, ...(result !== null && typeof result === 'object' && !Array.isArray(result) ? result as Record<string, unknown> : { result }) });

export function register(program: Command): void {
  const runs = program.command('runs').description('list, show, export and repair runs in the experiment store');
  runs.command('list')
    .description('list the runs in a store')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--kind <kind>', 'only runs of this kind (lottery, neat, compare, neat_vs_tickets, train)')
    .option('--json', 'JSON on stdout')
    .action((o: { store: string; kind?: string; json?: boolean }) => {
      const rows = listRuns(o.store, o.kind);
      if (o.json) { console.log(JSON.stringify(rows, null, 2)); return; }
      if (rows.length === 0) { console.log(`no runs in ${o.store}`); return; }
      console.log(formatTable(['id', 'kind', 'status', 'model', 'dataset', 'jobs done', 'updated', 'non-default hparams'],
        rows.map((r) => [r.id, r.kind, r.status, String(r.model ?? ''), String(r.dataset ?? ''), `${r.jobsDone}/${r.jobs}`, r.updatedAt.slice(0, 19), r.canonical || '(defaults)'])));
    });
  runs.command('show <run>')
    .description('hyperparameters and the finished jobs of a run (id or unique prefix)')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { store: string; json?: boolean }) => {
      const { run, jobs, text } = showRun(o.store, id);
      if (o.json) { console.log(JSON.stringify({ run, jobs }, null, 2)); return; }
      console.log(`${run.id} (${run.kind}, ${run.status}) — ${run.canonical || 'all defaults'}`);
      console.log(text);
    });
  runs.command('export <run>')
    .description('every job (and with --metrics every evaluation) of a run as CSV or JSON on stdout')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--csv', 'CSV (the default)')
    .option('--json', 'JSON')
    .option('--metrics', 'export the evaluation history rows instead of one row per job')
    .action((id: string, o: { store: string; csv?: boolean; json?: boolean; metrics?: boolean }) => {
      if (o.csv && o.json) throw new UserError('--csv and --json are mutually exclusive');
      const rows = o.metrics ? runMetrics(o.store, id) : showRun(o.store, id).jobs.map((j) => flatRow(j.key, j.status, j.result));
      if (o.json) { console.log(JSON.stringify(rows, null, 2)); return; }
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      process.stdout.write([cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n');
    });
  runs.command('repair <run>')
    .description('check every finished job\'s files (present, checksums intact); mark the jobs whose files are missing or damaged to recompute — rerun the run\'s command to finish it')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { store: string; json?: boolean }) => printMended(mendRun(o.store, id), o.json));
  runs.command('reset <run>')
    .description('mark jobs to recompute and delete their files (all jobs of the run, or those named with --job)')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--job <key...>', 'job keys as `runs show --json` lists them, e.g. replicate_0/level_3/ticket')
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { store: string; job?: string[]; json?: boolean }) => {
      const all = o.job ?? showRun(o.store, id).jobs.map((j) => j.key);
      printMended(mendRun(o.store, id, all), o.json);
    });

  program.command('report <run>')
    .description('write the report of a run (id or unique prefix) from its finished jobs')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .action(async (id: string, o: { store: string }) => {
      const { reportFiles } = await summarizeStored(o.store, id);
      for (const p of reportFiles()) console.log(p);
    });
}

function printMended(r: { runId: string; mended: Array<{ job: string; reason: string }> }, json?: boolean): void {
  if (json) { console.log(JSON.stringify(r, null, 2)); return; }
  if (r.mended.length === 0) { console.log(`run ${r.runId}: every finished job has its files; nothing to do`); return; }
  for (const m of r.mended) console.log(`${m.job}: ${m.reason}`);
  console.log(`run ${r.runId}: ${r.mended.length} job(s) will be recomputed; rerun the run's command to finish it`);
}
