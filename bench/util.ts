// Shared benchmark helpers: medians, ratios, and locating a Python with PyTorch for peer runs.
import { spawnSync } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function ratio(a: number, b: number): number { return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN; }

/**
 * The Python that has PyTorch (Debian's python3-torch lives under /usr/bin/python3), with the fair
 * settings of the guide: one torch thread, one OpenBLAS thread, OPENBLAS_CORETYPE unset.
 */
export function pythonWithTorch(): { ok: true; exe: string; env: NodeJS.ProcessEnv } | { ok: false; reason: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import torch'], { encoding: 'utf8', env });
    if (r.status === 0) return { ok: true, exe, env };
  }
  return { ok: false, reason: 'no python3 with PyTorch found: apt-get install -y python3-torch libopenblas0-pthread (Debian), then rerun' };
}
