// Helpers for the issue-15 reproductions: spawn the CLI, and check that it ends in one `winnow:` line
// on stderr (no stack trace), quickly and in little memory (peak RSS, reported by a preloaded module).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const embedded = fileURLToPath(new URL('../../../data/embedded/fashion-mnist-mini', import.meta.url));

const probeDir = mkdtempSync(join(tmpdir(), 'winnow-probe-'));
const probe = join(probeDir, 'rss.mjs');
writeFileSync(probe, `import { writeFileSync } from 'node:fs';
process.on('exit', () => { if (process.env.WINNOW_RSS_FILE) writeFileSync(process.env.WINNOW_RSS_FILE, String(process.resourceUsage().maxRSS)); });
`);
let n = 0;

export interface CliRun { status: number | null; stderr: string; stdout: string; ms: number; rssMB: number }

export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliRun {
  const rssFile = join(probeDir, `rss-${process.pid}-${n++}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', probe, cli, ...args], {
    encoding: 'utf8', cwd: opts.cwd ?? probeDir, timeout: opts.timeoutMs ?? 20_000,
    env: { ...process.env, WINNOW_DATA: '', ...opts.env, WINNOW_RSS_FILE: rssFile },
  });
  const ms = performance.now() - t0;
  const rssMB = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : NaN;
  return { status: r.status, stderr: r.stderr ?? '', stdout: r.stdout ?? '', ms, rssMB };
}

/**
 * The CLI must fail with exit 2 and exactly one stderr line `winnow: …` matching `pattern`, within
 * `maxMs` (default 2 s, node's start-up included) and 200 MB peak RSS.
 */
export function expectOneLineError(args: string[], pattern: RegExp, opts: { env?: Record<string, string>; cwd?: string; maxMs?: number; maxMB?: number } = {}): CliRun {
  const r = runCli(args, opts);
  const what = `winnow ${args.join(' ')}`;
  assert.equal(r.status, 2, `${what}: exit ${r.status}, stderr: ${r.stderr.slice(0, 2000)}`);
  // Progress lines of a run that had started may come first; the error is one `winnow:` line, the last.
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('winnow:'));
  assert.equal(lines.length, 1, `${what}: expected one winnow: line, got: ${r.stderr.slice(0, 2000)}`);
  assert.equal(r.stderr.trimEnd().split('\n').pop(), lines[0], `${what}: the error is the last line`);
  assert.match(lines[0]!, pattern, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: stack trace`);
  assert.ok(r.ms < (opts.maxMs ?? 2000), `${what}: took ${r.ms.toFixed(0)} ms`);
  assert.ok(!(r.rssMB > (opts.maxMB ?? 200)), `${what}: peak RSS ${r.rssMB.toFixed(0)} MB`);
  return r;
}
