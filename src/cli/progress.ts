// Renders experiments' progress events: a bar on a terminal, plain lines when stderr is not one (a log,
// a pipe, CI), JSON lines with --progress json. Table rows go to stdout as they arrive (not with --json,
// whose one document holds them); everything else goes to stderr.
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../experiments/index.js';

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'json' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'plain', 'json', 'none'];

export interface Renderer { emit(e: ProgressEvent): void; stop(): void }

/** Table rows printed one at a time: fixed-width right-aligned columns, header before the first row. */
function rowPrinter(write: (s: string) => void): (e: Extract<ProgressEvent, { type: 'row' }>) => void {
  const seen = new Set<string>();
  return (e) => {
    const widths = e.header.map((h) => Math.max(h.length, 9));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? c.length)).join('  ');
    if (!seen.has(e.table)) {
      seen.add(e.table);
      write(line(e.header));
      write(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    write(line(e.cells));
  };
}

function stepText(e: Extract<ProgressEvent, { type: 'step' }>): string {
  return `${e.done}/${e.total}${e.info ? ' ' + Object.entries(e.info).map(([k, v]) => `${k} ${v}`).join(' ') : ''}`;
}

export function progressRenderer(mode: ProgressMode, opts: { rowsToStdout: boolean; label: string; stepEveryMs?: number }): Renderer {
  const err = (s: string): void => { process.stderr.write(s + '\n'); };
  const printRow = rowPrinter((s) => (opts.rowsToStdout ? process.stdout.write(s + '\n') : undefined));
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'plain') : mode;
  if (resolved === 'json') {
    return { emit: (e) => { err(JSON.stringify(e)); if (e.type === 'row') printRow(e); }, stop() {} };
  }
  if (resolved === 'none') return { emit: (e) => { if (e.type === 'row') printRow(e); else if (e.type === 'warning') err(`winnow: warning: ${e.message}`); }, stop() {} };
  if (resolved === 'plain') {
    // One line per job and, inside long jobs, at most one step line every 5 seconds per job. Jobs on several
    // workers run at once, so each step line is labelled by its own job (its key), not by the last one started.
    const every = opts.stepEveryMs ?? 5000;
    const running = new Map<string, { label: string; lastStep: number }>();
    return {
      emit(e) {
        switch (e.type) {
          case 'run-start': err(`${e.experiment} run ${e.runId} in ${e.root}/: ${e.jobs} jobs, ${e.done} already done`); e.info.forEach(err); break;
          case 'job-start': {
            const label = `[${e.index + 1}/${e.total}] ${e.label}`;
            running.set(e.key, { label, lastStep: performance.now() });
            err(`${label}: started`);
            break;
          }
          case 'step': {
            const job = running.get(e.key);
            if (job && performance.now() - job.lastStep >= every) { err(`${job.label}: ${stepText(e)}`); job.lastStep = performance.now(); }
            break;
          }
          case 'job-done': running.delete(e.key); if (!e.resumed) err(`[${e.index + 1}/${e.total}] ${e.label}: done in ${e.seconds.toFixed(1)} s`); break;
          case 'row': printRow(e); break;
          case 'log': err(e.message); break;
          case 'warning': err(`winnow: warning: ${e.message}`); break;
          case 'run-done': err(`run ${e.runId} finished in ${e.seconds.toFixed(1)} s`); break;
        }
      },
      stop() {},
    };
  }
  // A bar over the jobs; the step inside the current job shows as a fraction.
  let bar: cliProgress.SingleBar | null = null;
  let total = 0, index = 0, label = '', step = '';
  const labels = new Map<string, string>();
  const start = (): void => {
    bar = new cliProgress.SingleBar({
      format: `${opts.label} [{bar}] {value}/{total} jobs | {job} {step} | ETA {eta_formatted}`,
      stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 5,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, index, { job: label, step });
  };
  const stop = (): void => { bar?.stop(); bar = null; };
  return {
    emit(e) {
      switch (e.type) {
        case 'run-start': err(`${e.experiment} run ${e.runId} in ${e.root}/ (${e.done}/${e.jobs} jobs done)`); e.info.forEach(err); total = e.jobs; index = e.done; start(); break;
        case 'job-start': labels.set(e.key, e.label); label = e.label; step = ''; bar?.update(e.index, { job: label, step: '' }); break;
        case 'step': label = labels.get(e.key) ?? label; step = stepText(e); bar?.update({ job: label, step }); break;
        case 'job-done': labels.delete(e.key); index = e.index + 1; bar?.update(index, { job: e.label, step: '' }); break;
        case 'row': case 'log': case 'warning': {
          const had = bar !== null;
          stop();
          if (e.type === 'row') printRow(e); else err(e.type === 'warning' ? `winnow: warning: ${e.message}` : e.message);
          if (had) start();
          break;
        }
        case 'run-done': stop(); break;
      }
    },
    stop,
  };
}
