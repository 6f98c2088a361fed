// Shared benchmark helpers: medians, ratios, and locating a Python with PyTorch for peer runs.
import { spawnSync } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function ratio(a: number, b: number): number { return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN; }

let warnedBlas = false;

/**
 * The Python that has PyTorch (Debian's python3-torch lives under /usr/bin/python3), with the fair
 * settings of the guide: one torch thread, one OpenBLAS thread, OPENBLAS_CORETYPE unset.
 */
export function pythonWithTorch(): { ok: true; exe: string; env: NodeJS.ProcessEnv } | { ok: false; reason: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  // Which BLAS the process mapped: Debian's torch links the libblas.so.3 alternative, and without
  // libopenblas0-pthread that is the reference BLAS, many times slower: no fair peer, so say so.
  const probe = "import torch; m = open('/proc/self/maps').read(); print('openblas' if 'openblas' in m else 'other')";
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', probe], { encoding: 'utf8', env });
    if (r.status !== 0) continue;
    if (r.stdout.trim() !== 'openblas' && !warnedBlas) {
      warnedBlas = true;
      console.error(`warning: ${exe}'s PyTorch does not run on OpenBLAS (the reference BLAS is far slower, so ratios against it flatter winnow): apt-get install -y libopenblas0-pthread`);
    }
    return { ok: true, exe, env };
  }
  return { ok: false, reason: 'no python3 with PyTorch found: apt-get install -y python3-torch libopenblas0-pthread (Debian), then rerun' };
}

const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * A bench script's command line against its usage text, whose option lines (indented, starting with the flag) name
 * the flags it reads: `--help`/`-h` prints `usage` and exits 0. Any other flag (a token starting with '-' that is not
 * a number, so a negative value of the flag before it passes) is a usage error, one line naming the script and the
 * flag on stderr and then the usage, exit 2, instead of being silently ignored. Call it before any work.
 */
export function checkArgs(script: string, usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  const text = usage.endsWith('\n') ? usage : `${usage}\n`;
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(text); process.exit(0); }
  const flags = new Set([...usage.matchAll(/^ +(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!));
  const unknown = argv.find((a) => a.startsWith('-') && !isNumber(a) && !flags.has(a));
  if (unknown !== undefined) {
    process.stderr.write(`bench/${script}: unknown flag ${unknown} (--help lists the flags)\n${text}`);
    process.exit(2);
  }
}
