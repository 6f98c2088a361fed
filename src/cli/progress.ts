// A progress bar on stderr (stdout stays clean for --json). Silent when stderr is not a terminal.
import cliProgress from 'cli-progress';

export interface Progress { update(value: number, payload?: Record<string, string | number>): void; stop(): void }

export function progressBar(label: string, total: number, extra = ''): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}${extra ? ' | ' + extra : ''}`,
    stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 200, fps: 5,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (v, p) => bar.update(v, p), stop: () => bar.stop() };
}
